/* pow, floor and ceil without libm: linking libm costs patience ~300 KiB of
 * resident set at every start (its ifunc resolvers touch its pages), and
 * backoff is the only user. Internal to libpatience. */
#ifndef PT_LIB_POWER_H
#define PT_LIB_POWER_H

/* x^y with C99 Annex F special cases (pow(x, 0) = pow(1, y) = 1 even for a
 * NaN, other NaNs give NaN, overflow +-inf, underflow 0). Relative error
 * below 4e-15 for normal results, most of it where |x^y| nears 2^+-1022;
 * exact when y is an integer of at most 2^31 in magnitude and x^y is
 * representable. */
double pt_pow(double x, double y);

/* floor and ceil for any double; a zero result may lose its sign. */
double pt_floor(double v);
double pt_ceil(double v);

#endif
