# OpenWrt SDK cross build (ath79 big-endian MIPS, ramips, ipq40xx, filogic, ...). NOT TESTED
# HERE: no OpenWrt SDK can be fetched on this project's machines; it follows the SDK's
# documented layout and is meant for the firmware package's Makefile, which sets these.
#   export STAGING_DIR=<sdk>/staging_dir
#   cmake -S . -B build-owrt -DCMAKE_TOOLCHAIN_FILE=toolchains/cross/openwrt-sdk.cmake \
#         -DOPENWRT_TARGET_DIR=$STAGING_DIR/target-mips_24kc_musl \
#         -DOPENWRT_TOOLCHAIN_DIR=$STAGING_DIR/toolchain-mips_24kc_gcc-12.3.0_musl \
#         -DOPENWRT_TRIPLE=mips-openwrt-linux-musl -DOUTPOST_WITH_NDPI=OFF
# (nDPI is optional on small flash: OpenWrt's libndpi package can be linked with ON.)
set(CMAKE_SYSTEM_NAME Linux)
set(OPENWRT_TARGET_DIR "" CACHE PATH "SDK staging_dir/target-<arch>_<libc>: the target's libraries")
set(OPENWRT_TOOLCHAIN_DIR "" CACHE PATH "SDK staging_dir/toolchain-<arch>_gcc-<v>_<libc>")
set(OPENWRT_TRIPLE "" CACHE STRING "compiler prefix, e.g. mips-openwrt-linux-musl")
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES OPENWRT_TARGET_DIR OPENWRT_TOOLCHAIN_DIR OPENWRT_TRIPLE)
if(NOT OPENWRT_TARGET_DIR OR NOT OPENWRT_TOOLCHAIN_DIR OR NOT OPENWRT_TRIPLE)
  message(FATAL_ERROR "openwrt-sdk.cmake: set OPENWRT_TARGET_DIR, OPENWRT_TOOLCHAIN_DIR and OPENWRT_TRIPLE")
endif()
if(NOT DEFINED ENV{STAGING_DIR})
  # The SDK's compiler wrappers warn (and some fail) without it.
  get_filename_component(_staging "${OPENWRT_TARGET_DIR}" DIRECTORY)
  set(ENV{STAGING_DIR} "${_staging}")
endif()
string(REGEX MATCH "^[^-]+" CMAKE_SYSTEM_PROCESSOR "${OPENWRT_TRIPLE}")
set(CMAKE_C_COMPILER "${OPENWRT_TOOLCHAIN_DIR}/bin/${OPENWRT_TRIPLE}-gcc")
set(CMAKE_CXX_COMPILER "${OPENWRT_TOOLCHAIN_DIR}/bin/${OPENWRT_TRIPLE}-g++")
set(CMAKE_SYSROOT "${OPENWRT_TARGET_DIR}")
set(CMAKE_FIND_ROOT_PATH "${OPENWRT_TARGET_DIR}" "${OPENWRT_TOOLCHAIN_DIR}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(ENV{PKG_CONFIG_LIBDIR} "${OPENWRT_TARGET_DIR}/usr/lib/pkgconfig:${OPENWRT_TARGET_DIR}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${OPENWRT_TARGET_DIR}")
