//! The mean and sample standard deviation of a run set's values, computed the
//! way Python's `statistics.mean` and `statistics.stdev` compute them: with
//! exact rational arithmetic, rounded to a float once at the end (the square
//! root correctly rounded too). A benchmark's own analysis in Python therefore
//! gets the very same numbers flowdesk shows, not numbers that agree to twelve
//! digits most of the time.
//!
//! Every finite `f64` is a fraction `m · 2^e`, so sums of values and of their
//! squares are exact as big rationals; five or five hundred values cost
//! microseconds, which is nothing next to reading them.

use num_bigint::{BigInt, Sign};
use num_rational::BigRational;
use num_traits::{ToPrimitive as _, Zero as _};

/// Mean, sample standard deviation and count of a column's values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    pub mean: f64,
    /// `None` for fewer than two values (Python raises `StatisticsError`).
    pub std: Option<f64>,
    pub n: usize,
}

/// Mean and sample standard deviation of `values`; `None` when there are none.
/// A value that is not finite makes both not finite, as in Python.
pub fn spread(values: &[f64]) -> Option<Spread> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    if values.iter().any(|v| !v.is_finite()) {
        // Python's partials turn into the NaN or infinity itself.
        let sum: f64 = values.iter().sum();
        return Some(Spread {
            mean: sum,
            std: (n >= 2).then_some(f64::NAN),
            n,
        });
    }
    let mut sum = BigRational::zero();
    let mut squares = BigRational::zero();
    for value in values {
        let exact = BigRational::from_float(*value)?;
        squares += &exact * &exact;
        sum += exact;
    }
    let count = BigRational::from_integer(BigInt::from(n));
    let mean = (&sum / &count).to_f64().unwrap_or(f64::NAN);
    let std = (n >= 2).then(|| {
        // Sum of squared deviations, exactly: (n·Σx² − (Σx)²) / n.
        let deviations = (&count * &squares - &sum * &sum) / &count;
        let variance = deviations / BigRational::from_integer(BigInt::from(n - 1));
        sqrt_of_fraction(variance.numer(), variance.denom())
    });
    Some(Spread { mean, std, n })
}

/// The correctly rounded square root of `n / m` (both non-negative): the
/// integer square root of the fraction scaled to more bits than a float holds,
/// rounded to odd, then divided with one rounding (the method of Python's
/// `statistics._float_sqrt_of_frac`).
fn sqrt_of_fraction(n: &BigInt, m: &BigInt) -> f64 {
    if n.sign() == Sign::Minus || m.sign() != Sign::Plus {
        return f64::NAN;
    }
    if n.is_zero() {
        return 0.0;
    }
    // Twice a float's 53 bits and three more.
    const WIDTH: i64 = 2 * 53 + 3;
    let q = (n.bits() as i64 - m.bits() as i64 - WIDTH).div_euclid(2);
    let round_to_odd = |n: BigInt, m: &BigInt| -> BigInt {
        let a = (&n / m).sqrt();
        let exact = &a * &a * m == n;
        if exact {
            a
        } else {
            a | BigInt::from(1u8)
        }
    };
    let ratio = if q >= 0 {
        let root = round_to_odd(n.clone(), &(m << (2 * q as u64))) << (q as u64);
        BigRational::from_integer(root)
    } else {
        let root = round_to_odd(n << (2 * (-q) as u64), m);
        BigRational::new(root, BigInt::from(1u8) << ((-q) as u64))
    };
    ratio.to_f64().unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_python_on_its_own_examples() {
        // The examples of Python's documentation of `statistics`.
        let s = spread(&[1.5, 2.5, 2.5, 2.75, 3.25, 4.75]).unwrap();
        assert_eq!(s.std, Some(1.0810874155219827));
        assert_eq!(spread(&[1.0, 2.0, 3.0, 4.0, 4.0]).unwrap().mean, 2.8);
        let one = spread(&[0.5]).unwrap();
        assert_eq!((one.mean, one.std, one.n), (0.5, None, 1));
        assert!(spread(&[]).is_none());
        let same = spread(&[0.1, 0.1, 0.1]).unwrap();
        assert_eq!((same.mean, same.std), (0.1, Some(0.0)));
    }

    #[test]
    fn exact_where_floating_point_sums_are_not() {
        // 0.1 + 0.2 + 0.3 is 0.6000000000000001 in floats; the exact mean of the
        // three floats rounds to 0.2.
        assert_eq!(spread(&[0.1, 0.2, 0.3]).unwrap().mean, 0.2);
        // Cancellation that ruins Σx² − (Σx)²/n in floats.
        let s = spread(&[1e9 + 1.0, 1e9 + 2.0, 1e9 + 3.0]).unwrap();
        assert_eq!(s.std, Some(1.0));
        assert!(spread(&[1.0, f64::NAN]).unwrap().mean.is_nan());
    }

    /// Against the real Python, on values that exercise the rounding.
    #[test]
    fn agrees_with_python_statistics() {
        let sets: Vec<Vec<f64>> = vec![
            vec![0.1, 0.7, 0.3333333333333333, 2.0 / 3.0, 1e-9],
            vec![
                std::f64::consts::PI,
                std::f64::consts::E,
                std::f64::consts::SQRT_2,
            ],
            vec![123456.789, 123456.788, 123456.7891, 123456.7889, 123456.79],
            vec![-5.5, 1e300, -1e300, 7.25],
            vec![0.9133, 0.9121, 0.9170, 0.9099, 0.9154],
        ];
        let literal = |v: &[f64]| {
            v.iter()
                .map(|x| format!("{x:?}"))
                .collect::<Vec<_>>()
                .join(",")
        };
        let script: String = sets
            .iter()
            .map(|v| {
                format!(
                    "d=[{}]; print(repr(statistics.mean(d)), repr(statistics.stdev(d)))\n",
                    literal(v)
                )
            })
            .collect();
        let output = std::process::Command::new("python3")
            .args(["-c", &format!("import statistics\n{script}")])
            .output()
            .expect("python3 runs");
        assert!(output.status.success(), "{output:?}");
        let text = String::from_utf8(output.stdout).unwrap();
        for (values, line) in sets.iter().zip(text.lines()) {
            let (mean, std) = line.split_once(' ').unwrap();
            let s = spread(values).unwrap();
            assert_eq!(s.mean, mean.parse::<f64>().unwrap(), "mean of {values:?}");
            assert_eq!(
                s.std,
                Some(std.parse::<f64>().unwrap()),
                "stdev of {values:?}"
            );
        }
    }
}
