# Debian 12 cross build for arm64: 64-bit ARM (filogic class).
#   tests/cross/sysroot arm64 build-cross/arm64/sysroot
#   cmake -S . -B build-cross/arm64 -DCMAKE_TOOLCHAIN_FILE=toolchains/cross/arm64.cmake \
#         -DOUTPOST_SYSROOT=$PWD/build-cross/arm64/sysroot
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(OUTPOST_CROSS_TRIPLE aarch64-linux-gnu)
set(OUTPOST_CROSS_QEMU qemu-aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
