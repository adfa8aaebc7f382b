use crate::{Error, Result, Timestamp};
use geo_types::Point;

/// A reported incident (事件) in the closed loop.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    pub key: String,
    /// When it was reported (the first step of the loop).
    pub time: Timestamp,
    /// A taxonomy code (`Taxonomy::resolve` maps texts onto it).
    pub category: String,
    /// The category text as received, when it differed from the code.
    pub raw_category: Option<String>,
    pub source: IncidentSource,
    pub status: IncidentStatus,
    pub location: Point<f64>,
    /// The community and grid it lies in, assigned on ingest (`None`: outside every one).
    pub community: Option<String>,
    pub grid: Option<String>,
    /// The city component (部件) it is about, by key (a broken lamp, a missing cover).
    pub component: Option<String>,
    /// When each later step was last reached: dispatched, handled, followed up, closed.
    pub steps: [Option<Timestamp>; 4],
}

impl Incident {
    /// A new report: status reported, no later step, not yet assigned.
    pub fn reported(
        key: String,
        time: Timestamp,
        category: String,
        source: IncidentSource,
        location: Point<f64>,
    ) -> Self {
        Self {
            key,
            time,
            category,
            raw_category: None,
            source,
            status: IncidentStatus::Reported,
            location,
            community: None,
            grid: None,
            component: None,
            steps: [None; 4],
        }
    }

    /// When a step was (last) reached.
    pub fn at(&self, status: IncidentStatus) -> Option<Timestamp> {
        match status {
            IncidentStatus::Reported => Some(self.time),
            s => self.steps[s as usize - 1],
        }
    }

    /// The step reached last and when (the report when no later step was).
    pub fn latest_step(&self) -> (IncidentStatus, Timestamp) {
        IncidentStatus::ALL
            .iter()
            .filter_map(|s| self.at(*s).map(|t| (*s, t)))
            .max_by_key(|(s, t)| (*t, *s as u8))
            .unwrap_or((IncidentStatus::Reported, self.time))
    }

    /// Moves to `to` at `when` if the closed loop allows it (see [`IncidentStatus::can_become`])
    /// and `when` is not before the step reached last (rule `step_order`: step times never
    /// go back along the loop, a rework included).
    pub fn transition(&mut self, to: IncidentStatus, when: Timestamp) -> Result<()> {
        self.status.can_become(to)?;
        let (last, last_at) = self.latest_step();
        if when < last_at {
            return Err(Error::StepTime {
                rule: "step_order",
                message: format!(
                    "{} at {when} would be before {} at {last_at}: step times follow the closed loop",
                    to.as_str(),
                    last.as_str()
                ),
            });
        }
        self.status = to;
        self.steps[to as usize - 1] = Some(when);
        Ok(())
    }
}

/// How far past the server's clock a step time may be (a phone's clock running fast).
pub const STEP_CLOCK_SKEW_S: i64 = 300;

/// Refuses a step time later than `now` plus [`STEP_CLOCK_SKEW_S`] (rule `step_in_future`).
pub fn check_not_future(to: IncidentStatus, when: Timestamp, now: Timestamp) -> Result<()> {
    if when.unix() > now.unix() + STEP_CLOCK_SKEW_S {
        return Err(Error::StepTime {
            rule: "step_in_future",
            message: format!(
                "{} at {when} is later than now ({now}) plus {} minutes",
                to.as_str(),
                STEP_CLOCK_SKEW_S / 60
            ),
        });
    }
    Ok(())
}

impl IncidentStatus {
    /// The next step of the loop (`None` once closed).
    pub fn next(self) -> Option<Self> {
        Self::ALL.get(self as usize + 1).copied()
    }

    /// Whether the loop allows this move: one step forward, or back from a follow-up visit to
    /// dispatched (rework: the visit found it not resolved).
    pub fn can_become(self, to: Self) -> Result<()> {
        let rework = self == Self::FollowedUp && to == Self::Dispatched;
        if self.next() == Some(to) || rework {
            return Ok(());
        }
        let mut allowed: Vec<&str> = self.next().map(Self::as_str).into_iter().collect();
        if self == Self::FollowedUp {
            allowed.push("dispatched (rework)");
        }
        Err(Error::Transition {
            from: self.as_str(),
            to: to.as_str(),
            allowed: if allowed.is_empty() {
                "a closed incident does not change".into()
            } else {
                format!("allowed: {}", allowed.join(", "))
            },
        })
    }
}

macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident, $what:literal, { $($(#[$vm:meta])* $v:ident => $s:literal $(| $alias:literal)*),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vm])* $v),+ }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$v),+];

            /// The stored text.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s),+ }
            }

            /// Parses the stored text or an accepted alias (case-insensitive).
            pub fn parse(text: &str) -> Result<Self> {
                let t = text.trim().to_lowercase();
                $(if t == $s $(|| t == $alias)* { return Ok($name::$v); })+
                Err(Error::Enum {
                    what: $what,
                    value: text.to_string(),
                    expected: concat!($($s, " "),+),
                })
            }
        }
    };
}

text_enum!(
    /// Where an incident came from.
    IncidentSource, "incident source", {
        /// Discovered and reported by the grid worker.
        GridWorker => "grid_worker" | "grid" | "网格员",
        /// Citizen hotline 12345.
        Hotline => "hotline" | "12345" | "热线",
        /// Petitions (信访).
        Petition => "petition" | "信访",
        /// Police calls (110).
        Police110 => "police_110" | "110",
        /// Anything else (online platforms, other departments).
        Other => "other",
    }
);

text_enum!(
    /// The five steps of the closed loop.
    IncidentStatus, "incident status", {
        Reported => "reported" | "上报",
        Dispatched => "dispatched" | "派遣",
        Handled => "handled" | "处置",
        FollowedUp => "followed_up" | "回访",
        Closed => "closed" | "结案",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip() {
        for s in IncidentStatus::ALL {
            assert_eq!(IncidentStatus::parse(s.as_str()), Ok(*s));
        }
        assert_eq!(IncidentSource::parse("12345"), Ok(IncidentSource::Hotline));
        assert!(IncidentStatus::parse("lost").is_err());
    }

    #[test]
    fn the_loop_moves_one_step_forward_or_back_for_rework() {
        use IncidentStatus::*;
        let mut i = Incident::reported(
            "a".into(),
            Timestamp::from_unix(100),
            "noise".into(),
            IncidentSource::Hotline,
            Point::new(118.8, 32.0),
        );
        assert!(i.transition(Handled, Timestamp::from_unix(150)).is_err());
        for (k, s) in [Dispatched, Handled, FollowedUp].into_iter().enumerate() {
            i.transition(s, Timestamp::from_unix(200 + k as i64))
                .expect("legal");
        }
        assert_eq!(i.at(Handled), Some(Timestamp::from_unix(201)));
        i.transition(Dispatched, Timestamp::from_unix(300))
            .expect("rework");
        assert_eq!(i.at(Dispatched), Some(Timestamp::from_unix(300)));
        for s in [Handled, FollowedUp, Closed] {
            i.transition(s, Timestamp::from_unix(400)).expect("legal");
        }
        let e = i
            .transition(Reported, Timestamp::from_unix(500))
            .expect_err("closed");
        assert!(
            e.to_string().contains("closed incident does not change"),
            "{e}"
        );
        assert_eq!(i.status, Closed);
        assert_eq!(i.at(Reported), Some(Timestamp::from_unix(100)));
    }

    /// Step times never go back: not before the report, not before the step before, not
    /// before the visit a rework follows; and not more than five minutes ahead of the clock.
    #[test]
    fn step_times_follow_the_loop_and_the_clock() {
        use IncidentStatus::*;
        let mut i = Incident::reported(
            "a".into(),
            Timestamp::from_unix(1_000),
            "noise".into(),
            IncidentSource::Hotline,
            Point::new(118.8, 32.0),
        );
        let rule = |e: Error| match e {
            Error::StepTime { rule, .. } => rule,
            e => panic!("{e}"),
        };
        assert_eq!(
            rule(
                i.transition(Dispatched, Timestamp::from_unix(999))
                    .expect_err("refused")
            ),
            "step_order"
        );
        i.transition(Dispatched, Timestamp::from_unix(2_000))
            .expect("in order");
        let e = i
            .transition(Handled, Timestamp::from_unix(1_500))
            .expect_err("refused");
        assert!(e.to_string().contains("before dispatched"), "{e}");
        assert_eq!(i.status, Dispatched, "a refused step changes nothing");
        i.transition(Handled, Timestamp::from_unix(2_000))
            .expect("same second");
        i.transition(FollowedUp, Timestamp::from_unix(3_000))
            .expect("in order");
        assert_eq!(
            rule(
                i.transition(Dispatched, Timestamp::from_unix(2_500))
                    .expect_err("refused")
            ),
            "step_order"
        );
        let now = Timestamp::from_unix(10_000);
        assert!(check_not_future(Closed, Timestamp::from_unix(10_300), now).is_ok());
        assert_eq!(
            rule(check_not_future(Closed, Timestamp::from_unix(10_301), now).expect_err("refused")),
            "step_in_future"
        );
    }
}
