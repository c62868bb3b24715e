# FindRapidJSON: header-only RapidJSON 1.1.0 (Debian's rapidjson-dev, the copy cereal 1.3.2 uses).
# Imported target: RapidJSON::RapidJSON
find_path(RapidJSON_INCLUDE_DIR rapidjson/reader.h)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(RapidJSON REQUIRED_VARS RapidJSON_INCLUDE_DIR)
if(RapidJSON_FOUND AND NOT TARGET RapidJSON::RapidJSON)
  add_library(RapidJSON::RapidJSON INTERFACE IMPORTED)
  set_target_properties(RapidJSON::RapidJSON PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${RapidJSON_INCLUDE_DIR}")
endif()
mark_as_advanced(RapidJSON_INCLUDE_DIR)
