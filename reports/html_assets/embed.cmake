# SPDX-License-Identifier: MIT
# embed.cmake - turn the HTML report's stylesheet and script into C arrays
# (reports/html_assets/assets.h), so report.html needs no file at run time.
#   cmake -DOUT=html_assets.c -DCSS=report.css -DJS=report.js -P embed.cmake
# The arrays hold the files' exact bytes (the CSP hashes are computed over
# them) plus a NUL that the _len values leave out.
cmake_minimum_required(VERSION 3.25)

function(imcq_embed var name path)
  file(READ "${path}" hex HEX)
  string(LENGTH "${hex}" nhex)
  math(EXPR len "${nhex} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
  string(REGEX REPLACE "((0x..,){16})" "\\1\n" body "${body}")
  set(${var} "${${var}}const unsigned char ${name}[] = {\n${body}0x00\n};\nconst size_t ${name}_len = ${len};\n\n" PARENT_SCOPE)
endfunction()

set(src "/* generated from reports/html_assets by embed.cmake: do not edit */\n")
string(APPEND src "#include \"reports/html_assets/assets.h\"\n\n")
imcq_embed(src html_asset_report_css "${CSS}")
imcq_embed(src html_asset_report_js "${JS}")
file(WRITE "${OUT}.tmp" "${src}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
