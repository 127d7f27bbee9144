# Helpers so every component's CMakeLists.txt reads the same way.
#
#   p2pims_cc_library(NAME metrics SRCS a.cc HDRS a.h DEPS p2pims::log)
#     -> target p2pims_metrics, alias p2pims::metrics
#   p2pims_cc_binary(NAME rights SRCS main.cc DEPS ...)
#   p2pims_cc_test(NAME metrics_test SRCS metrics_test.cc DEPS ...)   (GoogleTest, run by CTest)
#   p2pims_proto_library(NAME rights_proto PROTOS p2pims/rights/v1/rights.proto)
#   p2pims_embed_sql(NAME rights_migrations DIR migrations SCHEMA rights)

set(P2PIMS_WARNINGS -Wall -Wextra -Werror -Wno-missing-field-initializers)
# GCC 12 reports std::string copies as overlapping at -O2/-O3 (GCC bug 105651): a false positive.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  list(APPEND P2PIMS_WARNINGS -Wno-restrict)
endif()
set(P2PIMS_SANITIZER_FLAGS -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)

function(_p2pims_common target)
  target_compile_options(${target} PRIVATE ${P2PIMS_WARNINGS})
  if(P2PIMS_FUZZ)
    # Coverage for libFuzzer in every p2pims library; the fuzz binaries add -fsanitize=fuzzer.
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link ${P2PIMS_SANITIZER_FLAGS})
    target_link_options(${target} PRIVATE ${P2PIMS_SANITIZER_FLAGS})
  elseif(P2PIMS_SANITIZE)
    target_compile_options(${target} PRIVATE ${P2PIMS_SANITIZER_FLAGS})
    target_link_options(${target} PRIVATE ${P2PIMS_SANITIZER_FLAGS})
  endif()
endfunction()

function(p2pims_cc_library)
  cmake_parse_arguments(A "" "NAME" "SRCS;HDRS;DEPS" ${ARGN})
  add_library(p2pims_${A_NAME} STATIC ${A_SRCS} ${A_HDRS})
  add_library(p2pims::${A_NAME} ALIAS p2pims_${A_NAME})
  target_include_directories(p2pims_${A_NAME} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(p2pims_${A_NAME} PUBLIC ${A_DEPS})
  _p2pims_common(p2pims_${A_NAME})
endfunction()

function(p2pims_cc_binary)
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${A_NAME} ${A_SRCS})
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS})
  _p2pims_common(${A_NAME})
endfunction()

function(p2pims_cc_test)
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${A_NAME} ${A_SRCS})
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  _p2pims_common(${A_NAME})
  add_test(NAME ${A_NAME} COMMAND ${A_NAME})
  if(NOT A_LABELS)
    set(A_LABELS unit)
  endif()
  set_tests_properties(${A_NAME} PROPERTIES LABELS "${A_LABELS}"
    ENVIRONMENT "P2PIMS_SOURCE_DIR=${PROJECT_SOURCE_DIR};P2PIMS_BINARY_DIR=${PROJECT_BINARY_DIR};P2PIMS_SANITIZE=${P2PIMS_SANITIZE}")
endfunction()

# Generates C++ and gRPC stubs at build time; generated code is never committed.
function(p2pims_proto_library)
  cmake_parse_arguments(A "" "NAME" "PROTOS;DEPS" ${ARGN})
  set(out ${PROJECT_BINARY_DIR}/gen)
  set(srcs)
  foreach(p ${A_PROTOS})
    string(REGEX REPLACE "\\.proto$" "" stem ${p})
    set(gen ${out}/${stem}.pb.cc ${out}/${stem}.pb.h ${out}/${stem}.grpc.pb.cc ${out}/${stem}.grpc.pb.h)
    add_custom_command(
      OUTPUT ${gen}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${out}
      COMMAND protobuf::protoc --proto_path=${CMAKE_CURRENT_SOURCE_DIR} --cpp_out=${out}
              --grpc_out=${out} --plugin=protoc-gen-grpc=${GRPC_CPP_PLUGIN} ${p}
      DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${p}
      COMMENT "protoc ${p}")
    list(APPEND srcs ${gen})
  endforeach()
  add_library(p2pims_${A_NAME} STATIC ${srcs})
  add_library(p2pims::${A_NAME} ALIAS p2pims_${A_NAME})
  target_include_directories(p2pims_${A_NAME} SYSTEM PUBLIC ${out})
  target_link_libraries(p2pims_${A_NAME} PUBLIC protobuf::libprotobuf gRPC::grpc++ ${A_DEPS})
endfunction()

# Embeds a service's versioned SQL migrations (NNNN_name.sql) into a library exposing
#   const std::vector<p2pims::pg::Migration>& <Symbol>Migrations();
function(p2pims_embed_sql)
  cmake_parse_arguments(A "" "NAME;DIR;SYMBOL" "" ${ARGN})
  file(GLOB sql CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${A_DIR}/*.sql)
  list(SORT sql)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${A_NAME}.cc)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DSYMBOL=${A_SYMBOL} "-DFILES=${sql}"
            -P ${PROJECT_SOURCE_DIR}/cmake/EmbedSql.cmake
    DEPENDS ${sql} ${PROJECT_SOURCE_DIR}/cmake/EmbedSql.cmake
    COMMENT "embedding migrations for ${A_SYMBOL}"
    VERBATIM)
  add_library(p2pims_${A_NAME} STATIC ${out})
  add_library(p2pims::${A_NAME} ALIAS p2pims_${A_NAME})
  target_link_libraries(p2pims_${A_NAME} PUBLIC p2pims::pg)
endfunction()

# An end-to-end test written in bash (tests/e2e/*.sh), run by CTest with the checkout and the
# build directory in its environment, and whether the build is sanitized (P2PIMS_SANITIZE=ON:
# checks that measure memory or inspect the binaries' libraries know it). Labelled "e2e" so
# `ctest -L unit` can skip them.
function(p2pims_sh_test)
  cmake_parse_arguments(A "" "NAME;SCRIPT;TIMEOUT" "DEPENDS" ${ARGN})
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 300)
  endif()
  if(P2PIMS_SANITIZE)
    # Every service runs two to three times slower under ASan; the checks inside keep their
    # own bounds, this is only the budget for the whole script.
    math(EXPR A_TIMEOUT "${A_TIMEOUT} * 2")
  endif()
  add_test(NAME ${A_NAME} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/${A_SCRIPT})
  set_tests_properties(${A_NAME} PROPERTIES LABELS "e2e" TIMEOUT ${A_TIMEOUT} RUN_SERIAL TRUE
    ENVIRONMENT "P2PIMS_SOURCE_DIR=${PROJECT_SOURCE_DIR};P2PIMS_BINARY_DIR=${PROJECT_BINARY_DIR};P2PIMS_SANITIZE=${P2PIMS_SANITIZE}")
endfunction()
