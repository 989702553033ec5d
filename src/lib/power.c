/* x^y in double-double arithmetic: a value is the unevaluated sum hi + lo,
 * about 106 bits, so rounding errors stay far below the last bit of the
 * result even after 31 squarings or a multiplication by a huge y. Exact
 * products come from Veltkamp's split and Dekker's product, not fma(),
 * which is a libm call on targets without the instruction. */
#include "lib/power.h"

#include <math.h> /* isnan, isinf, signbit; frexp and ldexp are in libc */
#include <stdint.h>

#define LOG2E_HI 0x1.71547652b82fep+0
#define LOG2E_LO 0x1.777d0ffda0d24p-56
#define LN2 0x1.62e42fefa39efp-1
#define SQRT1_2 0x1.6a09e667f3bcdp-1
#define INT_LIMIT 0x1p31 /* larger integers go through log2 and exp2 */
#define EXP_LIMIT 2200 /* beyond 2^+-2200 every result is inf or 0 */

typedef struct {
	double hi, lo;
} dd;

/* hi + lo times 2^e with |hi| in [0.5, 1): squaring it 31 times
 * overflows neither a double nor the exponent. */
typedef struct {
	dd v;
	int64_t e;
} scaled;

/* a + b exactly, given |a| >= |b| or a == 0. */
static dd fast_two_sum(double a, double b)
{
	double s = a + b;

	return (dd){s, b - (s - a)};
}

static dd two_sum(double a, double b)
{
	double s = a + b, bb = s - a;

	return (dd){s, (a - (s - bb)) + (b - bb)};
}

/* a = hi + lo, each of at most 26 bits, so their products are exact. */
static dd split(double a)
{
	double c = 134217729.0 * a; /* 2^27 + 1 */
	double hi = c - (c - a);

	return (dd){hi, a - hi};
}

/* a * b exactly, barring underflow and overflow. */
static dd two_prod(double a, double b)
{
	double p = a * b;
	dd x = split(a), y = split(b);

	return (dd){p, ((x.hi * y.hi - p) + x.hi * y.lo + x.lo * y.hi) +
			       x.lo * y.lo};
}

static dd dd_mul(dd a, dd b)
{
	dd p = two_prod(a.hi, b.hi);

	return fast_two_sum(p.hi, p.lo + (a.hi * b.lo + a.lo * b.hi));
}

static dd dd_add_d(dd a, double b)
{
	dd s = two_sum(a.hi, b);

	return fast_two_sum(s.hi, s.lo + a.lo);
}

/* The quotient of the leading parts, corrected by the remainder; a.hi - p.hi
 * is exact as p is within an ulp of a. */
static dd dd_div(dd a, dd b)
{
	double q = a.hi / b.hi;
	dd p = dd_mul(b, (dd){q, 0});
	double rem = ((a.hi - p.hi) - p.lo) + a.lo;

	return fast_two_sum(q, rem / b.hi);
}

static scaled sc_mul(scaled a, scaled b)
{
	dd p = dd_mul(a.v, b.v);
	int k;
	double hi = frexp(p.hi, &k);

	return (scaled){{hi, ldexp(p.lo, -k)}, a.e + b.e + k};
}

/* x^n for finite x > 0, |n| <= 2^31, by squaring: the error grows with n
 * times the double-double rounding, 2^31 * 2^-104 at most. */
static double pow_int(double x, int64_t n)
{
	uint64_t u = (uint64_t)(n < 0 ? -n : n);
	int k;
	scaled b = {{frexp(x, &k), 0}, 0}, r = {{0.5, 0}, 1};

	b.e = k;
	for (;;) {
		if (u & 1)
			r = sc_mul(r, b);
		if (!(u >>= 1))
			break;
		b = sc_mul(b, b);
	}
	if (n < 0) {
		r.v = dd_div((dd){1, 0}, r.v);
		r.e = -r.e;
	}
	if (r.e > EXP_LIMIT || r.e < -EXP_LIMIT) /* keep ldexp's int in range */
		r.e = r.e < 0 ? -EXP_LIMIT : EXP_LIMIT;
	return ldexp(r.v.hi, (int)r.e);
}

/* ln m for m in [sqrt(1/2), sqrt(2)) as 2 atanh(s) = 2(s + s^3/3 + ...),
 * s = (m - 1)/(m + 1), |s| < 0.172. The tail is under 1% of the sum, so
 * plain double is enough for it; cut after s^27, it is off by < 2^-70 s. */
static dd ln_mantissa(double m)
{
	dd s = dd_div((dd){m - 1, 0}, two_sum(m, 1));
	double z = s.hi * s.hi, t = 0;

	for (int j = 27; j >= 3; j -= 2)
		t = t * z + 1.0 / j;
	return dd_add_d((dd){2 * s.hi, 2 * s.lo}, 2 * s.hi * z * t);
}

/* log2 x for finite x > 0. */
static dd log2_dd(double x)
{
	int k;
	double m = frexp(x, &k);

	if (m < SQRT1_2) {
		m *= 2;
		k--;
	}
	return dd_add_d(dd_mul(ln_mantissa(m), (dd){LOG2E_HI, LOG2E_LO}), k);
}

/* 2^t for |t| <= EXP_LIMIT as 2^n e^(f ln 2), n the nearest integer and
 * |f| <= 1/2; 15 Taylor terms leave an error below 2^-66. t.hi - n is
 * exact (Sterbenz). */
static double exp2_dd(dd t)
{
	double n = (double)(int64_t)(t.hi + (t.hi < 0 ? -0.5 : 0.5));
	double r = ((t.hi - n) + t.lo) * LN2, e = 1;

	for (int j = 15; j > 0; j--)
		e = 1 + e * r / j;
	return ldexp(e, (int)n);
}

/* x^y = 2^(y log2 x) for finite x > 0 and any finite y. Past the limits
 * y is at most 2200 / log2(1 + 2^-52) < 2^64, so splitting it is safe. */
static double pow_real(double x, double y)
{
	dd l = log2_dd(x);
	double t = l.hi * y;

	if (t > EXP_LIMIT)
		return INFINITY;
	if (t < -EXP_LIMIT)
		return 0;
	if (l.hi == 0) /* x = 1, and y may be too large to split */
		return 1;
	return exp2_dd(dd_mul(l, (dd){y, 0}));
}

/* From 2^52 up every double is an integer; below, the cast is exact. */
static int is_integer(double y)
{
	return y <= -0x1p52 || y >= 0x1p52 || y == (double)(int64_t)y;
}

static int is_odd(double y)
{
	return y > -0x1p53 && y < 0x1p53 && is_integer(y) &&
	       (int64_t)y % 2 != 0;
}

/* x^+-inf: 0 or inf depending on which side of 1 |x| is. */
static double pow_inf(double x, double y)
{
	double a = x < 0 ? -x : x;

	if (a == 1)
		return 1;
	return (a > 1) == (y > 0) ? INFINITY : 0;
}

/* z^y for z = +-0 and finite y != 0; odd powers keep the sign of z. */
static double pow_zero(double z, double y)
{
	int neg = signbit(z) && is_odd(y);

	if (y > 0)
		return neg ? z : 0;
	return neg ? -INFINITY : INFINITY;
}

double pt_pow(double x, double y)
{
	double a = x < 0 ? -x : x, r;

	if (y == 0 || x == 1)
		return 1;
	if (isnan(x) || isnan(y))
		return x + y;
	if (isinf(y))
		return pow_inf(x, y);
	if (isinf(x)) /* (+-inf)^y = (+-0)^-y */
		return pow_zero(1 / x, -y);
	if (x == 0)
		return pow_zero(x, y);
	if (x < 0 && !is_integer(y))
		return NAN;
	if (y >= -INT_LIMIT && y <= INT_LIMIT && is_integer(y))
		r = pow_int(a, (int64_t)y);
	else
		r = pow_real(a, y);
	return x < 0 && is_odd(y) ? -r : r;
}

double pt_floor(double v)
{
	double t;

	if (!(v > -0x1p52 && v < 0x1p52)) /* NaN, inf or an integer */
		return v;
	t = (double)(int64_t)v;
	return t > v ? t - 1 : t;
}

double pt_ceil(double v)
{
	return -pt_floor(-v);
}
