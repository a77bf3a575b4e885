# SPDX-License-Identifier: MIT
# `cmake --install`: headers, libbackprop.a / libbackprop.so, the backprop
# CLI, backprop.pc and the CMake package (find_package(backprop CONFIG) ->
# backprop::backprop). scripts/test-install.sh builds examples/ against both.
include(CMakePackageConfigHelpers)

install(FILES include/backprop.h include/backprop_kernels.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS backprop RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS backprop_static EXPORT backpropStaticTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
set_target_properties(backprop_static PROPERTIES EXPORT_NAME backprop_static)
install(EXPORT backpropStaticTargets NAMESPACE backprop::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/backprop)
if(BP_BUILD_SHARED)
  install(TARGETS backprop_shared EXPORT backpropSharedTargets
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} NAMELINK_COMPONENT Development)
  set_target_properties(backprop_shared PROPERTIES EXPORT_NAME backprop_shared)
  install(EXPORT backpropSharedTargets NAMESPACE backprop::
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/backprop)
endif()

# pkg-config: the shared library by default; `pkg-config --static` adds what
# the static one needs (SLEEF and zlib have .pc files; libm and the OpenMP
# runtime do not).
set(BP_PC_LIBS_PRIVATE "-lm")
if(BP_ENABLE_OPENMP)
  foreach(lib ${OpenMP_C_LIB_NAMES})
    string(APPEND BP_PC_LIBS_PRIVATE " -l${lib}")
  endforeach()
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(BP_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  set(BP_PC_LIBDIR "\${exec_prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(BP_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(BP_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
# The prefix is the one installed into (cmake --install --prefix P), so the
# file is made in two passes: everything else now, the prefix at install.
set(BP_PC_PREFIX "@BP_PC_PREFIX@")
configure_file(cmake/backprop.pc.in ${PROJECT_BINARY_DIR}/backprop.pc.in @ONLY)
install(CODE "
  set(BP_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  configure_file(\"${PROJECT_BINARY_DIR}/backprop.pc.in\" \"${PROJECT_BINARY_DIR}/backprop.pc\" @ONLY)")
install(FILES ${PROJECT_BINARY_DIR}/backprop.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# CMake package.
set(BP_PACKAGE_OPENMP ${BP_ENABLE_OPENMP})
configure_package_config_file(cmake/backpropConfig.cmake.in
  ${PROJECT_BINARY_DIR}/backpropConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/backprop)
# Before 1.0 a minor version may break the API: only the same minor matches.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(BP_COMPAT SameMinorVersion)
else()
  set(BP_COMPAT SameMajorVersion)
endif()
write_basic_package_version_file(${PROJECT_BINARY_DIR}/backpropConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY ${BP_COMPAT})
install(FILES ${PROJECT_BINARY_DIR}/backpropConfig.cmake
              ${PROJECT_BINARY_DIR}/backpropConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/backprop)

install(FILES LICENSE README.md CHANGELOG.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
