# Registers the out-of-tree install test (tests/install/run_install_test.sh) with ctest.
# Included from tests/CMakeLists.txt: include(install/install_test.cmake)
#
# It installs this build tree into a temporary prefix and builds tests/install/consumer against it
# with find_package(strata CONFIG REQUIRED).  Works for any build type; sanitizer flags are passed
# on to the consumer.
add_test(NAME install_consumer
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/run_install_test.sh ${PROJECT_BINARY_DIR})
set_tests_properties(install_consumer PROPERTIES LABELS install TIMEOUT 600)
