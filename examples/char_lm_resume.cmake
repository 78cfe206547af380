# Save and resume test of examples/char_lm (ctest: char_lm_resume).  A tiny model trained for 12
# steps in one run, and for 6 steps then resumed for 6 more, must give bit-identical losses
# (loss.csv, full precision), parameters, optimiser state and random streams (the two final
# checkpoint files are byte-compared) and the same generated words; --sample-from must generate
# those words again from the checkpoint; the loss curve must be an SVG with polylines; a
# checkpoint that does not match the settings, or is missing or corrupt, must be a clear error.
#   cmake -DCHAR_LM=path/to/char_lm -DWORK_DIR=dir -P char_lm_resume.cmake
if(NOT CHAR_LM OR NOT WORK_DIR)
  message(FATAL_ERROR "usage: cmake -DCHAR_LM=<program> -DWORK_DIR=<dir> -P char_lm_resume.cmake")
endif()
# Checkpoints of an earlier run would make --save refuse: start from nothing.
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

include(${CMAKE_CURRENT_LIST_DIR}/char_lm_words.cmake)  # sets `text`: the word list

# Runs char_lm with ARGN; fails unless it exits 0.  Its output comes back in `out`.
function(run_char_lm)
  execute_process(COMMAND "${CHAR_LM}" ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "char_lm ${ARGN} exited with ${rc}:\n${out}\n${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
endfunction()
# The line of generated words in `out`, into `var`.
function(words_of var)
  if(NOT out MATCHES "generated words[^\n]*:\n  ([^\n]*)")
    message(FATAL_ERROR "char_lm output lacks generated words:\n${out}")
  endif()
  set(${var} "${CMAKE_MATCH_1}" PARENT_SCOPE)
endfunction()

# Time never decides the step count here (--seconds is large); evaluations every 3 steps and
# checkpoints every 4 put both inside each half of the split run.
set(settings --text "${text}" --layers 2 --width 16 --heads 2 --context 8 --batch 8 --lr 0.01
             --seed 5 --eval-windows 16 --eval-every 3)
set(common --seconds 1000 --samples 4 --save-every 4)

# ---- A: 12 steps in one run
run_char_lm(${settings} ${common} --steps 12 --save "${WORK_DIR}/a")
words_of(words_a)
# ---- B: 6 steps, then resumed to 12.  The resumed run gives no settings: they come from the
# checkpoint.
run_char_lm(${settings} ${common} --steps 6 --save "${WORK_DIR}/b")
if(NOT out MATCHES "checkpoint: [^\n]*/b/checkpoint.safetensors at step 6")
  message(FATAL_ERROR "the 6-step run did not report its checkpoint at step 6:\n${out}")
endif()
run_char_lm(--resume "${WORK_DIR}/b" --steps 12 ${common})
message(STATUS "resumed run's output:\n${out}")
if(NOT out MATCHES "resumed from [^\n]*/b at step 6\n" OR NOT out MATCHES "\n6 steps in ")
  message(FATAL_ERROR "the resumed run did not continue from step 6 for 6 steps:\n${out}")
endif()
words_of(words_b)

# ---- bit for bit
file(READ "${WORK_DIR}/a/loss.csv" csv_a)
file(READ "${WORK_DIR}/b/loss.csv" csv_b)
if(NOT csv_a STREQUAL csv_b)
  message(FATAL_ERROR "the losses differ between the 12-step run and the 6 + 6-step run:\n"
                      "--- a/loss.csv\n${csv_a}--- b/loss.csv\n${csv_b}")
endif()
# One row per step 0..12, with a training loss on every step after 0 and held-out losses at
# steps 0, 1, 2 (powers of two below --eval-every), 3, 6, 9 and 12.
if(NOT csv_a MATCHES "^step,train_bits,held_out_bits\n0,,[0-9.]+\n1,[0-9.]+,[0-9.]+\n"
   OR NOT csv_a MATCHES "\n4,[0-9.]+,\n5,[0-9.]+,\n6,[0-9.]+,[0-9.]+\n"
   OR NOT csv_a MATCHES "\n12,[0-9.]+,[0-9.]+\n$")
  message(FATAL_ERROR "a/loss.csv is not the expected table:\n${csv_a}")
endif()
file(SHA256 "${WORK_DIR}/a/checkpoint.safetensors" sha_a)
file(SHA256 "${WORK_DIR}/b/checkpoint.safetensors" sha_b)
if(NOT sha_a STREQUAL sha_b)
  message(FATAL_ERROR "the final checkpoints (parameters, optimiser state, random streams, "
                      "history) differ between the 12-step run and the 6 + 6-step run")
endif()
if(NOT words_a STREQUAL words_b)
  message(FATAL_ERROR "generated words differ: `${words_a}` against `${words_b}`")
endif()

# ---- the loss curve
file(READ "${WORK_DIR}/a/loss.svg" svg)
string(REGEX MATCHALL "<polyline " polylines "${svg}")
list(LENGTH polylines num_polylines)
if(NOT svg MATCHES "^<svg xmlns=\"http://www.w3.org/2000/svg\"" OR NOT svg MATCHES "</svg>\n$"
   OR num_polylines LESS 3 OR NOT svg MATCHES "held-out")
  message(FATAL_ERROR "a/loss.svg is not a loss curve (3 polylines, a legend):\n${svg}")
endif()

# ---- --sample-from: the words the training run generated, from its checkpoint
run_char_lm(--sample-from "${WORK_DIR}/a" --samples 4)
words_of(words_sampled)
if(NOT words_sampled STREQUAL words_a)
  message(FATAL_ERROR "--sample-from generated `${words_sampled}`, the run `${words_a}`")
endif()

# ---- mistakes: a message, and exit status 2 (settings) or 1 (the checkpoint itself)
function(expect_error status regex)
  execute_process(COMMAND "${CHAR_LM}" ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  if(NOT rc EQUAL ${status} OR NOT err MATCHES "${regex}")
    message(FATAL_ERROR "char_lm ${ARGN}: expected exit status ${status} and `${regex}`, got "
                        "${rc}:\n${out}\n${err}")
  endif()
endfunction()
set(a "${WORK_DIR}/a")
set(trained "does not match the checkpoint in [^\n]*/a, which was trained with")
expect_error(2 "--width 32 ${trained} --width 16" --resume "${a}" --width 32 --steps 20)
expect_error(2 "--layers 3 ${trained} --layers 2" --resume "${a}" --layers 3 --steps 20)
expect_error(2 "--lr 0.02 ${trained} --lr 0.01" --resume "${a}" --lr 0.02 --steps 20)
expect_error(2 "--width 32 does not match" --sample-from "${a}" --width 32)
file(WRITE "${WORK_DIR}/other.txt" "${words}extra\n")
expect_error(2 "--text [^\n]*other.txt is not the text the checkpoint in [^\n]*a was trained on"
             --resume "${a}" --text "${WORK_DIR}/other.txt" --steps 20)
expect_error(2 "--save [^\n]*a already holds a checkpoint: pass --resume"
             ${settings} --steps 2 --save "${a}")
expect_error(2 "--sample-from only generates" --sample-from "${a}" --save "${WORK_DIR}/c")
expect_error(1 "--resume [^\n]*/none: no checkpoint directory" --resume "${WORK_DIR}/none")
file(MAKE_DIRECTORY "${WORK_DIR}/empty")
expect_error(1 "holds no checkpoint \\(no checkpoint.safetensors\\)" --resume "${WORK_DIR}/empty")
file(MAKE_DIRECTORY "${WORK_DIR}/corrupt")
file(WRITE "${WORK_DIR}/corrupt/checkpoint.safetensors" "not a safetensors file")
expect_error(1 "cannot read the checkpoint [^\n]*corrupt/checkpoint.safetensors`: \\[io\\."
             --resume "${WORK_DIR}/corrupt")
# A checkpoint cut short, as a copy interrupted midway would leave it (saves themselves are
# atomic).
file(MAKE_DIRECTORY "${WORK_DIR}/truncated")
execute_process(COMMAND head -c 3000 "${a}/checkpoint.safetensors"
                OUTPUT_FILE "${WORK_DIR}/truncated/checkpoint.safetensors")
expect_error(1 "cannot read the checkpoint [^\n]*truncated/checkpoint.safetensors`: \\[io\\."
             --resume "${WORK_DIR}/truncated")
