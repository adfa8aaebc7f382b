//! Personal fields of residents (name, phone, resident ID number): checks on import and the
//! masking shown to roles that may not see them in full (GB/T 35273-2020 asks for
//! de-identification on display). Masking keeps what a worker needs to tell two people apart
//! on a list (a surname, a phone's carrier prefix and last four digits, an ID number's first
//! three and last four characters) and nothing that identifies a person by itself.

/// A name with all but its first character hidden: `张三丰` → `张**`, `Li Wei` → `L*****`.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.trim().chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

/// A phone number with its middle hidden: `13812345678` → `138****5678`; short numbers keep
/// their last two digits only.
pub fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(|c| !c.is_whitespace()).collect();
    let n = digits.len();
    let (head, tail) = if n >= 11 { (3, 4) } else { (0, 2.min(n)) };
    digits
        .iter()
        .enumerate()
        .map(|(i, c)| if i < head || i >= n - tail { *c } else { '*' })
        .collect()
}

/// A resident ID number with all but its first three and last four characters hidden:
/// `11010519491231002X` → `110***********002X`.
pub fn mask_id_number(id: &str) -> String {
    let chars: Vec<char> = id.trim().chars().collect();
    let n = chars.len();
    if n < 8 {
        return "*".repeat(n);
    }
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| if i < 3 || i >= n - 4 { *c } else { '*' })
        .collect()
}

/// Checks an 18-character resident ID number (GB 11643-1999): 17 digits, then the ISO 7064
/// MOD 11-2 check character (`0`-`9` or `X`), and a birth date that exists. Returns the
/// number with an upper-case `X`.
pub fn check_id_number(id: &str) -> Result<String, String> {
    let id = id.trim().to_uppercase();
    let b = id.as_bytes();
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
        return Err("an ID number has 17 digits and a check character (18 in all)".into());
    }
    let check = id_check_character(&id[..17]).unwrap_or('?');
    // Messages never quote the number or a part of it (a refusal may reach a log).
    if char::from(b[17]) != check {
        return Err("the check character does not match the digits".into());
    }
    let num = |r: std::ops::Range<usize>| id[r].parse::<u32>().unwrap_or(0);
    let (y, m, d) = (num(6..10), num(10..12), num(12..14));
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 0,
    };
    if !(1900..=2100).contains(&y) || d == 0 || d > days {
        return Err("the birth date in it does not exist".into());
    }
    Ok(id)
}

/// The check character (ISO 7064 MOD 11-2) of an ID number's first 17 digits; `None` unless
/// given exactly 17 digits.
pub fn id_check_character(digits: &str) -> Option<char> {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let b = digits.as_bytes();
    if b.len() != 17 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = b
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    Some(char::from(b"10X98765432"[(sum % 11) as usize]))
}

/// Checks a phone number: digits with an optional leading `+` and `-` or space separators,
/// 7 to 15 digits (E.164). Returns it without separators.
pub fn check_phone(phone: &str) -> Result<String, String> {
    let p = phone.trim();
    let plus = p.starts_with('+');
    let rest = p.trim_start_matches('+');
    if !rest
        .chars()
        .all(|c| c.is_ascii_digit() || c == '-' || c == ' ')
    {
        return Err("not a phone number (digits, +, - only)".into());
    }
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    if !(7..=15).contains(&digits.len()) {
        return Err(format!("has {} digits, not 7 to 15", digits.len()));
    }
    Ok(if plus { format!("+{digits}") } else { digits })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_a_little_and_hide_the_rest() {
        assert_eq!(mask_name("张三丰"), "张**");
        assert_eq!(mask_name("王五"), "王*");
        assert_eq!(mask_name(""), "");
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("+8613812345678"), "+86*******5678");
        assert_eq!(mask_phone("84561234"), "******34");
        assert_eq!(mask_id_number("11010519491231002X"), "110***********002X");
        assert_eq!(mask_id_number("123"), "***");
    }

    #[test]
    fn id_numbers_are_checked_by_their_check_character_and_birth_date() {
        // The example number of GB 11643-1999.
        assert_eq!(
            check_id_number("11010519491231002x").as_deref(),
            Ok("11010519491231002X")
        );
        assert!(check_id_number("110105194912310021").is_err(), "check");
        assert!(check_id_number("11010519491231002").is_err(), "length");
        // 1949-02-30 does not exist (check character recomputed for it).
        let digits = "11010519490230002";
        let id = format!("{digits}{}", id_check_character(digits).expect("17 digits"));
        assert!(
            check_id_number(&id)
                .expect_err("no such day")
                .contains("does not exist")
        );
    }

    #[test]
    fn phones_are_digits() {
        assert_eq!(check_phone("138-1234-5678").as_deref(), Ok("13812345678"));
        assert_eq!(
            check_phone("+86 138 1234 5678").as_deref(),
            Ok("+8613812345678")
        );
        assert!(check_phone("call me").is_err());
        assert!(check_phone("123").is_err());
    }
}
