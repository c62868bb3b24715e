# Debian 12 cross build for s390x: big-endian 64-bit (stands in for big-endian MIPS: Debian 12 has no mips libraries).
#   tests/cross/sysroot s390x build-cross/s390x/sysroot
#   cmake -S . -B build-cross/s390x -DCMAKE_TOOLCHAIN_FILE=toolchains/cross/s390x.cmake \
#         -DOUTPOST_SYSROOT=$PWD/build-cross/s390x/sysroot
set(CMAKE_SYSTEM_PROCESSOR s390x)
set(OUTPOST_CROSS_TRIPLE s390x-linux-gnu)
set(OUTPOST_CROSS_QEMU qemu-s390x)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
