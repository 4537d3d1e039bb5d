# rb_cc_flags.m4 - probe compiler flags one by one.        -*- Autoconf -*-
#
# RB_CC_TRY_FLAGS(VARIABLE, FLAG...)
# -----------------------------------
# Append to the shell variable VARIABLE each FLAG that the C compiler
# accepts without a diagnostic (tested with -Werror so that GCC's and
# Clang's "unknown warning option" warnings count as a refusal).
AC_DEFUN([RB_CC_TRY_FLAGS],
[AC_LANG_PUSH([C])
for rb_flag in m4_normalize([$2]); do
  AC_MSG_CHECKING([whether $CC accepts $rb_flag])
  rb_save_CFLAGS=$CFLAGS
  CFLAGS="$CFLAGS -Werror $rb_flag"
  AC_COMPILE_IFELSE([AC_LANG_SOURCE([[int rb_probe(void); int rb_probe(void) { return 0; }]])],
    [AC_MSG_RESULT([yes]); $1="${$1:+$$1 }$rb_flag"],
    [AC_MSG_RESULT([no])])
  CFLAGS=$rb_save_CFLAGS
done
AC_LANG_POP([C])])

# RB_EXPAND_DIR(VARIABLE, VALUE)
# ------------------------------
# Set VARIABLE to VALUE with ${prefix}, ${exec_prefix} and friends
# expanded, the way they will be at "make install" time with the default
# prefix.  Used for paths compiled into the programs.
AC_DEFUN([RB_EXPAND_DIR],
[rb_save_prefix=$prefix
rb_save_exec_prefix=$exec_prefix
test "x$prefix" = xNONE && prefix=$ac_default_prefix
test "x$exec_prefix" = xNONE && exec_prefix=$prefix
$1=$2
rb_i=0
while :; do
  case $$1 in
    *'$'*) ;;
    *) break ;;
  esac
  rb_i=`expr $rb_i + 1`
  test $rb_i -le 10 || AC_MSG_ERROR([cannot expand $2])
  eval $1=\"$$1\"
done
prefix=$rb_save_prefix
exec_prefix=$rb_save_exec_prefix])
