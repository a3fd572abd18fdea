# An overlay port over ovo's own CMake install (the one tests/consumer checks): header-only, so
# nothing is built; the features decide which component export files there are.
# vcpkg install ovo[images,gzip,blas] --overlay-ports=<ovo>/ports
set(SOURCE_PATH "${CMAKE_CURRENT_LIST_DIR}/../..")
set(VCPKG_BUILD_TYPE release)

vcpkg_check_features(OUT_FEATURE_OPTIONS FEATURE_OPTIONS FEATURES blas OVO_USE_BLAS)

vcpkg_cmake_configure(
  SOURCE_PATH "${SOURCE_PATH}"
  OPTIONS ${FEATURE_OPTIONS} -DOVO_BUILD_TESTS=OFF -DOVO_BUILD_EXAMPLES=OFF
          -DOVO_BUILD_BENCHMARKS=OFF -DOVO_BUILD_FUZZERS=OFF -DOVO_PYTHON=OFF -DOVO_CUDA=OFF)
vcpkg_cmake_install()
vcpkg_cmake_config_fixup(PACKAGE_NAME ovo CONFIG_PATH lib/cmake/ovo)
vcpkg_fixup_pkgconfig()
# Header-only: no libraries.
file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/lib")
file(WRITE "${CURRENT_PACKAGES_DIR}/share/${PORT}/copyright"
     "ovo publishes no licence file yet; see README.md of its source tree.\n")
file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
