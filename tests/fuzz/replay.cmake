# SPDX-License-Identifier: MIT
# ctest replays the fuzz corpora (tests/fuzz/corpus/<h>/) and the inputs
# campaigns found (tests/fuzz/regressions/<h>/, when present) through each
# libFuzzer harness linked with tests/fuzz/replay.c instead of libFuzzer:
# the normal library, built as users build it (and under ASan/UBSan in
# the sanitizer build). The harnesses read from memfd files (Linux).
if(NOT CMAKE_SYSTEM_NAME STREQUAL "Linux" OR CMAKE_CROSSCOMPILING_EMULATOR)
  return()
endif()
file(GLOB _bp_replay_cli_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/cli/*.c)
list(REMOVE_ITEM _bp_replay_cli_sources ${PROJECT_SOURCE_DIR}/src/cli/main.c)
foreach(h model checkpoint idx csv cli)
  set(t fuzz_replay_${h})
  add_executable(${t} ${CMAKE_CURRENT_LIST_DIR}/fuzz_${h}.c ${CMAKE_CURRENT_LIST_DIR}/replay.c)
  target_compile_options(${t} PRIVATE ${BP_WARNINGS})
  target_link_libraries(${t} PRIVATE bp ZLIB::ZLIB)
  set(dirs ${CMAKE_CURRENT_LIST_DIR}/corpus/${h})
  if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/regressions/${h})
    list(APPEND dirs ${CMAKE_CURRENT_LIST_DIR}/regressions/${h})
  endif()
  add_test(NAME ${t} COMMAND ${t} ${dirs})
  set_tests_properties(${t} PROPERTIES TIMEOUT 120)
endforeach()
target_sources(fuzz_replay_cli PRIVATE ${_bp_replay_cli_sources})
target_include_directories(fuzz_replay_cli PRIVATE ${PROJECT_SOURCE_DIR}/src/cli ${PROJECT_SOURCE_DIR}/src)
target_compile_definitions(fuzz_replay_cli PRIVATE _POSIX_C_SOURCE=200809L)
