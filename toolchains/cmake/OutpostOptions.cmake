# Shared build settings for Outpost's own targets.

# Warnings as errors on our own code only (third-party headers come in as SYSTEM).
function(outpost_target_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror)
  target_compile_features(${target} PUBLIC cxx_std_17)
endfunction()

# ASan + UBSan for the whole tree (clang 14 recommended: faster, leaner builds than gcc here).
macro(outpost_apply_sanitizers)
  if(OUTPOST_SANITIZE)
    add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
    add_link_options(-fsanitize=address,undefined)
  endif()
  if(OUTPOST_FUZZ)
    # Coverage instrumentation for the libraries the fuzz targets link.
    add_compile_options(-fsanitize=fuzzer-no-link)
  endif()
endmacro()

# Collect sources of a module folder; each module lists its subfolders explicitly.
function(outpost_sources out)
  set(files)
  foreach(dir IN LISTS ARGN)
    if(dir STREQUAL ".")
      file(GLOB found CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
    else()
      file(GLOB found CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${dir}/*.cpp)
    endif()
    list(APPEND files ${found})
  endforeach()
  set(${out} ${files} PARENT_SCOPE)
endfunction()
