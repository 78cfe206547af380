# Smoke test of examples/char_lm (ctest: char_lm_smoke): a tiny model trained for a few steps on
# a generated word list must report the per-policy compile table with its planned peaks, a
# held-out loss in bits/char that training lowered, a train step compiled once and generated
# words; bad options must fail with a message.
#   cmake -DCHAR_LM=path/to/char_lm -DWORK_DIR=dir -P char_lm_smoke.cmake
if(NOT CHAR_LM OR NOT WORK_DIR)
  message(FATAL_ERROR "usage: cmake -DCHAR_LM=<program> -DWORK_DIR=<dir> -P char_lm_smoke.cmake")
endif()
file(MAKE_DIRECTORY "${WORK_DIR}")

include(${CMAKE_CURRENT_LIST_DIR}/char_lm_words.cmake)  # sets `text`: the word list

# Fails unless the output `out` matches; the regex's groups come back as match1, match2.
function(expect_match regex what)
  if(NOT out MATCHES "${regex}")
    message(FATAL_ERROR "char_lm output lacks ${what} (regex `${regex}`):\n${out}")
  endif()
  set(match1 "${CMAKE_MATCH_1}" PARENT_SCOPE)
  set(match2 "${CMAKE_MATCH_2}" PARENT_SCOPE)
endfunction()

# ---- a tiny training run
execute_process(
  COMMAND "${CHAR_LM}" --text "${text}" --layers 4 --width 32 --heads 2 --context 12 --batch 16
          --steps 8 --lr 0.01 --samples 4 --eval-windows 32 --seed 3
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "char_lm exited with ${rc}:\n${out}\n${err}")
endif()
message(STATUS "char_lm output:\n${out}")

# The compile table: one row per remat policy with trace / compile ms, ops, planned peak, step time.
set(num "[0-9]+\\.[0-9]+")
foreach(policy save_all carries_only nested)
  set(peak "${num} [KM]iB \\(([0-9]+) B\\) +${num}x")
  expect_match("\n  ${policy} +${num} +${num} +[0-9]+ +${peak} +${num}\n"
               "the ${policy} row of the compile table")
  set(peak_${policy} "${match1}")
endforeach()
# Recomputing the blocks' internals must plan less memory than saving them.
if(NOT peak_carries_only LESS peak_save_all)
  message(FATAL_ERROR "carries_only plans ${peak_carries_only} B, not less than save_all's "
                      "${peak_save_all} B:\n${out}")
endif()
if(NOT peak_nested LESS peak_save_all)
  message(FATAL_ERROR "nested plans ${peak_nested} B, not less than save_all's ${peak_save_all} B"
                      ":\n${out}")
endif()

expect_match("8 steps in ${num} s" "the step count")
expect_match("compiled 1 time" "a train step compiled once")
expect_match("(${num}) bits/char before training, (${num}) bits/char after"
             "the held-out loss in bits/char")
set(before "${match1}")
set(after "${match2}")
if(NOT after LESS before)
  message(FATAL_ERROR "training did not lower the held-out loss (${before} -> ${after}):\n${out}")
endif()
expect_match("generated words [^\n]*:\n  [^\n]*[a-z]" "generated words")

# ---- mistakes give a message and exit status 2
function(expect_usage_error regex)
  execute_process(COMMAND "${CHAR_LM}" ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  if(NOT rc EQUAL 2 OR NOT err MATCHES "${regex}")
    message(FATAL_ERROR "char_lm ${ARGN}: expected exit status 2 and `${regex}`, got ${rc}:\n"
                        "${out}\n${err}")
  endif()
endfunction()
expect_usage_error("--heads 3 must divide --width 32" --text "${text}" --width 32 --heads 3)
expect_usage_error("--remat: expected save_all, carries_only or nested: \\[CheckpointPolicy\\]"
                   --text "${text}" --remat sometimes)
expect_usage_error("cannot open the text file" --text "${WORK_DIR}/no_such_file.txt")
file(WRITE "${WORK_DIR}/short.txt" "one\ntwo\nthree\n")
expect_usage_error("gives a held-out stream of 0 characters.*pass a longer text"
                   --text "${WORK_DIR}/short.txt" --context 4)
expect_usage_error("--layers: expected an integer >= 1" --layers 0)
expect_usage_error("unknown option `--depth`" --depth 3)

execute_process(COMMAND "${CHAR_LM}" --help RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0 OR NOT out MATCHES "usage: char_lm")
  message(FATAL_ERROR "char_lm --help: expected the usage and exit status 0, got ${rc}:\n${out}")
endif()
