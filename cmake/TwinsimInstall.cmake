# Installs the twinsim program and exports the targets so that another project can
# `find_package(twinsim)` and link twinsim::core, twinsim::io, twinsim::loop, the solvers
# (twinsim::md, twinsim::lbm, twinsim::spectral, twinsim::heat) and twinsim::surrogates. Each
# library installs itself with its headers where it is defined (twinsim_install_library).
include(CMakePackageConfigHelpers)

install(TARGETS twinsim EXPORT twinsimTargets RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${PROJECT_BINARY_DIR}/core/include/twinsim/core/config.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/twinsim/core)

set(TWINSIM_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/twinsim)
install(EXPORT twinsimTargets NAMESPACE twinsim:: DESTINATION ${TWINSIM_CMAKE_DIR})
configure_package_config_file(cmake/twinsimConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/twinsimConfig.cmake
                              INSTALL_DESTINATION ${TWINSIM_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/twinsimConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/twinsimConfig.cmake
              ${PROJECT_BINARY_DIR}/twinsimConfigVersion.cmake
        DESTINATION ${TWINSIM_CMAKE_DIR})
