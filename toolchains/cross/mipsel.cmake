# Debian 12 cross build for mipsel: 32-bit little-endian MIPS (ramips class).
#   tests/cross/sysroot mipsel build-cross/mipsel/sysroot
#   cmake -S . -B build-cross/mipsel -DCMAKE_TOOLCHAIN_FILE=toolchains/cross/mipsel.cmake \
#         -DOUTPOST_SYSROOT=$PWD/build-cross/mipsel/sysroot
set(CMAKE_SYSTEM_PROCESSOR mipsel)
set(OUTPOST_CROSS_TRIPLE mipsel-linux-gnu)
set(OUTPOST_CROSS_QEMU qemu-mipsel)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
