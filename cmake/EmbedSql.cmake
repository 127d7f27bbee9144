# Script mode: writes OUT, a C++ file returning the migrations in FILES as a sorted vector.
# File names are NNNN_description.sql; NNNN is the version.
set(body "")
foreach(f ${FILES})
  get_filename_component(name ${f} NAME_WE)
  string(REGEX MATCH "^[0-9]+" version ${name})
  if(NOT version)
    message(FATAL_ERROR "migration ${f} must be named NNNN_description.sql")
  endif()
  math(EXPR version "${version}")
  file(READ ${f} sql)
  string(APPEND body "      {${version}, \"${name}\", R\"p2pims_sql(${sql})p2pims_sql\"},\n")
endforeach()
file(WRITE ${OUT} "// Generated from the service's migrations/ folder. Do not edit.
#include <vector>
#include \"lib/pg/migrate.h\"
namespace p2pims {
const std::vector<pg::Migration>& ${SYMBOL}Migrations() {
  static const std::vector<pg::Migration> kMigrations = {
${body}  };
  return kMigrations;
}
}  // namespace p2pims
")
