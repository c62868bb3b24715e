# Shared part of the Debian cross toolchain files (toolchains/cross/<arch>.cmake set
# OUTPOST_CROSS_TRIPLE and OUTPOST_CROSS_QEMU, then include this). The compilers are Debian's
# g++-<triple>; the target libraries come from a per-architecture sysroot under the build
# folder, made by tests/cross/sysroot (packages unpacked, not installed): its path is the
# cache variable OUTPOST_SYSROOT, never hard-coded. Tests run under qemu-user with
# `-L <sysroot>` (mips and mipsel share the loader path, so -L is required).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_C_COMPILER ${OUTPOST_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${OUTPOST_CROSS_TRIPLE}-g++)
set(CMAKE_LIBRARY_ARCHITECTURE ${OUTPOST_CROSS_TRIPLE})

set(OUTPOST_SYSROOT "${CMAKE_BINARY_DIR}/sysroot" CACHE PATH "Target libraries unpacked by tests/cross/sysroot")
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES OUTPOST_SYSROOT)  # try_compile projects see it too
if(NOT EXISTS "${OUTPOST_SYSROOT}/usr/include")
  message(FATAL_ERROR "OUTPOST_SYSROOT=${OUTPOST_SYSROOT} holds no target libraries: run tests/cross/sysroot ARCH DIR first")
endif()

# The compiler keeps its own C library (/usr/<triple>); everything else is found in the sysroot.
set(CMAKE_FIND_ROOT_PATH "${OUTPOST_SYSROOT}" "/usr/${OUTPOST_CROSS_TRIPLE}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(_lib "${OUTPOST_SYSROOT}/usr/lib/${OUTPOST_CROSS_TRIPLE}")
set(CMAKE_C_FLAGS_INIT "${OUTPOST_CROSS_EXTRA_FLAGS} -isystem ${OUTPOST_SYSROOT}/usr/include/${OUTPOST_CROSS_TRIPLE} -isystem ${OUTPOST_SYSROOT}/usr/include")
set(CMAKE_CXX_FLAGS_INIT "${CMAKE_C_FLAGS_INIT}")
# Libraries of the sysroot resolve their own dependencies there (libpcap -> libdbus -> ...).
set(_link "-L${_lib} -Wl,-rpath-link,${_lib} -Wl,-rpath-link,${OUTPOST_SYSROOT}/lib/${OUTPOST_CROSS_TRIPLE}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${_link}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "${_link}")

# pkg-config answers for the target (libpcap, re2, ndpi), with paths inside the sysroot.
set(ENV{PKG_CONFIG_LIBDIR} "${_lib}/pkgconfig:${OUTPOST_SYSROOT}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${OUTPOST_SYSROOT}")
set(ENV{PKG_CONFIG_PATH} "")

set(CMAKE_CROSSCOMPILING_EMULATOR ${OUTPOST_CROSS_QEMU} -L ${OUTPOST_SYSROOT})
