# Debian 12 cross build for armhf: 32-bit ARM, hard float (ipq40xx class).
#   tests/cross/sysroot armhf build-cross/armhf/sysroot
#   cmake -S . -B build-cross/armhf -DCMAKE_TOOLCHAIN_FILE=toolchains/cross/armhf.cmake \
#         -DOUTPOST_SYSROOT=$PWD/build-cross/armhf/sysroot
set(CMAKE_SYSTEM_PROCESSOR armv7l)
set(OUTPOST_CROSS_TRIPLE arm-linux-gnueabihf)
set(OUTPOST_CROSS_QEMU qemu-arm)
set(OUTPOST_CROSS_EXTRA_FLAGS "-Wno-psabi")  # notes on a GCC 7.1 ABI change, not about our code
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
