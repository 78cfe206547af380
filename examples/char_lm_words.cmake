# Writes the word list the char_lm ctest scripts train on to ${text} (in ${WORK_DIR}): 512
# made-up three-syllable words, one per line — a small text with something to learn.
set(words "")
foreach(a ka lo mi ne ru sa ti po)
  foreach(b ka lo mi ne ru sa ti po)
    foreach(c ka lo mi ne ru sa ti po)
      string(APPEND words "${a}${b}${c}\n")
    endforeach()
  endforeach()
endforeach()
set(text "${WORK_DIR}/words.txt")
file(WRITE "${text}" "${words}")
