# SPDX-License-Identifier: MIT
# seeds.cmake - cut fuzzing seeds from samples/ (and a few files of the
# real-mail corpus) into OUT/<target>/, so that no large file is committed:
#
#   cmake -DSRC=<source dir> -DOUT=<dir> [-DREAL_MAIL=<dir>] -P seeds.cmake
#
# The sample zips are extracted (in a scratch folder under OUT) and each
# member is filed under the reader that owns it by its normalised name;
# the zips themselves are the seeds of the ingest target.
if(NOT SRC OR NOT OUT)
  message(FATAL_ERROR "usage: cmake -DSRC=... -DOUT=... -P seeds.cmake")
endif()

file(REMOVE_RECURSE ${OUT})
set(targets spool pickup rfc822 queuedat gwart routetxt tracking protolog
  regexport imccopy mime where ingest zipfast)
foreach(t ${targets})
  file(MAKE_DIRECTORY ${OUT}/${t})
endforeach()

# seed(TARGET FILE [NAME]): copy FILE to OUT/TARGET/ under NAME (made an
# identifier) or its own name.
function(seed target file)
  get_filename_component(id "${file}" NAME)
  if(ARGC GREATER 2)
    set(id "${ARGV2}")
  endif()
  string(MAKE_C_IDENTIFIER "${id}" id)
  file(COPY_FILE "${file}" "${OUT}/${target}/${id}")
endfunction()

file(GLOB zips ${SRC}/samples/*/*.zip)
set(n 0)
foreach(z ${zips})
  get_filename_component(zn "${z}" NAME_WE)
  seed(ingest "${z}")
  seed(zipfast "${z}")
  set(x ${OUT}/_extract/${zn})
  file(ARCHIVE_EXTRACT INPUT "${z}" DESTINATION "${x}")
  file(GLOB_RECURSE members LIST_DIRECTORIES false "${x}/*")
  foreach(m ${members})
    file(RELATIVE_PATH rel "${x}" "${m}")
    string(REPLACE "\\" "/" rel "${rel}")
    string(TOLOWER "${rel}" low)
    file(SIZE "${m}" size)
    if(size EQUAL 0)
      continue()
    endif()
    set(t "")
    if(low MATCHES "(^|/)(out|in|work)(/archive)?/[0-9a-z]+$")
      set(t spool)
    elseif(low MATCHES "(^|/)pickup/")
      set(t pickup)
    elseif(low MATCHES "(^|/)queue\\.dat$")
      set(t queuedat)
    elseif(low MATCHES "(^|/)gwart[01]\\.mta$")
      set(t gwart)
    elseif(low MATCHES "(^|/)route\\.(txt|old)$")
      set(t routetxt)
    elseif(low MATCHES "(^|/)tracking\\.log/[0-9]+\\.log$")
      set(t tracking)
    elseif(low MATCHES "(^|/)log/l[0-9a-z]+\\.log$")
      set(t protolog)
    elseif(low MATCHES "\\.reg$")
      set(t regexport)
    elseif(low MATCHES "\\.ini$")
      set(t imccopy)
    endif()
    if(t)
      seed(${t} "${m}" "${zn}_${rel}")
      math(EXPR n "${n} + 1")
    endif()
  endforeach()
endforeach()

# The same trees in other containers, and one nested, for the ingest target.
foreach(z ${zips})
  get_filename_component(zn "${z}" NAME_WE)
  set(x ${OUT}/_extract/${zn})
  execute_process(COMMAND ${CMAKE_COMMAND} -E tar cfz ${OUT}/ingest/${zn}.tar.gz .
    WORKING_DIRECTORY ${x} RESULT_VARIABLE rc)
  execute_process(COMMAND ${CMAKE_COMMAND} -E tar cf ${OUT}/ingest/${zn}.7z --format=7zip .
    WORKING_DIRECTORY ${x} RESULT_VARIABLE rc2)
  file(COPY_FILE "${z}" ${x}/inner.zip)
  execute_process(COMMAND ${CMAKE_COMMAND} -E tar cfJ ${OUT}/ingest/${zn}-nested.tar.xz inner.zip
    WORKING_DIRECTORY ${x} RESULT_VARIABLE rc3)
  if(rc OR rc2 OR rc3)
    message(WARNING "fuzz seeds: could not pack ${zn} (${rc} ${rc2} ${rc3})")
  endif()
endforeach()
file(REMOVE_RECURSE ${OUT}/_extract)

# A few real messages for the RFC 822 / MIME side: the first files of each
# folder, in name order (CRLF, LF, CR-only, cut pieces).
if(REAL_MAIL AND EXISTS "${REAL_MAIL}")
  foreach(d bsd dos mac err not)
    file(GLOB files "${REAL_MAIL}/${d}/*")
    list(SORT files)
    list(LENGTH files len)
    if(len GREATER 4)
      list(SUBLIST files 0 4 files)
    endif()
    foreach(f ${files})
      get_filename_component(b "${f}" NAME)
      seed(mime "${f}" "${d}_${b}")
      seed(rfc822 "${f}" "${d}_${b}")
      math(EXPR n "${n} + 1")
    endforeach()
  endforeach()
endif()
message(STATUS "fuzz seeds: ${n} files cut into ${OUT}")
