# libFuzzer targets of the parsers that read outside input (docs/fuzzing.md). One helper for all:
#
#   p2pims_fuzzer(NAME token_fuzz CORPUS token DEPS p2pims::token)
#
# builds token_fuzz.cc (in the calling directory) in every build as token_fuzz_replay, which runs
# the target once on every file of corpus/token/ and is a CTest test (labels "unit" and
# "fuzz_replay"); with P2PIMS_FUZZ=ON (clang) also as the libFuzzer binary token_fuzz.
#
# Build modes:
#   normal                 replay binaries only, with the build's flags
#   P2PIMS_SANITIZE=ON     everything (replays included) under ASan + UBSan; `ninja fuzz_replays`
#                          builds only the replay binaries and the parser libraries they link
#   P2PIMS_FUZZ=ON (clang) everything also instrumented for libFuzzer's coverage; `ninja fuzzers`
#                          builds the libFuzzer binaries (nothing else is meant to be built there)
#
# Keep DEPS small parser libraries: the CI's sanitizer replay build (tools/run-tests) compiles
# exactly their closure.
option(P2PIMS_FUZZ "Instrument for libFuzzer and build the fuzz targets (needs clang)" OFF)
if(P2PIMS_FUZZ AND NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "P2PIMS_FUZZ needs clang: -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++")
endif()

add_custom_target(fuzz_replays)
add_custom_target(fuzzers)

function(p2pims_fuzzer)
  cmake_parse_arguments(A "" "NAME;CORPUS" "DEPS" ${ARGN})
  set(corpus ${CMAKE_CURRENT_SOURCE_DIR}/corpus/${A_CORPUS})
  p2pims_cc_binary(NAME ${A_NAME}_replay SRCS ${A_NAME}.cc DEPS ${A_DEPS} p2pims::fuzz_replay_main)
  add_test(NAME ${A_NAME}_replay COMMAND ${A_NAME}_replay ${corpus})
  set_tests_properties(${A_NAME}_replay PROPERTIES LABELS "unit;fuzz_replay")
  add_dependencies(fuzz_replays ${A_NAME}_replay)
  if(P2PIMS_FUZZ)
    p2pims_cc_binary(NAME ${A_NAME} SRCS ${A_NAME}.cc DEPS ${A_DEPS})
    target_link_options(${A_NAME} PRIVATE -fsanitize=fuzzer)
    add_dependencies(fuzzers ${A_NAME})
    # For tools/fuzz: every libFuzzer binary with its committed corpus.
    set_property(GLOBAL APPEND PROPERTY P2PIMS_FUZZERS "${A_NAME} $<TARGET_FILE:${A_NAME}> ${corpus}")
  endif()
endfunction()

# Called once at the end of the top-level CMakeLists.txt: writes <build>/fuzzers.txt, one line
# "<name> <binary> <corpus dir>" per libFuzzer binary.
function(p2pims_write_fuzzer_list)
  get_property(fuzzers GLOBAL PROPERTY P2PIMS_FUZZERS)
  list(JOIN fuzzers "\n" lines)
  file(GENERATE OUTPUT ${PROJECT_BINARY_DIR}/fuzzers.txt CONTENT "${lines}\n")
endfunction()
