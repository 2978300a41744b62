//! Kubernetes resource quantities (`500m`, `2`, `1.5Gi`, `1e3`), as the API server reads them.

/// Parses a quantity into its value in base units (cores or bytes). Returns `None` for text
/// Kubernetes rejects.
pub(super) fn parse(text: &str) -> Option<f64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '+' | '-')))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    if number.is_empty() || number == "+" || number == "-" {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    let factor = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        "Ti" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        "Pi" => 1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0,
        "Ei" => 1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => {
            // Decimal exponent: `1e3`, `5E-2`.
            let exponent = suffix.strip_prefix(['e', 'E'])?;
            let exponent: i32 = exponent.parse().ok()?;
            10f64.powi(exponent)
        }
    };
    Some(value * factor)
}

/// Returns the error of Kubernetes' `resource.ParseQuantity` (k8s.io/apimachinery) for `text`,
/// which [`parse`] rejects: the text outside the quantity grammar, or a suffix it does not
/// know.
pub(super) fn parse_error(text: &str) -> &'static str {
    if has_quantity_shape(text) {
        "unable to parse quantity's suffix"
    } else {
        "quantities must match the regular expression \
         '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    }
}

/// Returns whether `text` is a number with at most one `.` followed by suffix characters,
/// the shape `ParseQuantity` scans before it reads the suffix.
fn has_quantity_shape(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let number_end = unsigned
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(unsigned.len());
    let (number, suffix) = unsigned.split_at(number_end);
    if !number.chars().any(|c| c.is_ascii_digit()) || number.matches('.').count() > 1 {
        return false;
    }
    let letters_end = suffix
        .find(|c: char| !"eEinumkKMGTP".contains(c))
        .unwrap_or(suffix.len());
    let exponent = &suffix[letters_end..];
    let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
    exponent.chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::{parse, parse_error};

    #[test]
    fn quantity_values() {
        let cases = [
            ("500m", Some(0.5)),
            ("2", Some(2.0)),
            ("1.5", Some(1.5)),
            ("1Gi", Some(1073741824.0)),
            ("512Mi", Some(536870912.0)),
            ("1G", Some(1e9)),
            ("1e3", Some(1000.0)),
            ("100k", Some(100_000.0)),
            ("", None),
            ("abc", None),
            ("1Xi", None),
            ("m", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse(text), expected, "{text}");
        }
    }

    #[test]
    fn quantity_parse_errors() {
        let format = "quantities must match the regular expression \
                      '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
        let suffix = "unable to parse quantity's suffix";
        let cases = [
            ("lots", format),
            ("1Gb", format),
            ("1.2.3", format),
            ("", format),
            ("1iK", suffix),
            ("2mm", suffix),
        ];
        for (text, expected) in cases {
            assert_eq!(parse(text), None, "{text}");
            assert_eq!(parse_error(text), expected, "{text}");
        }
    }
}
