//! Staffing the drawn checks with inspector teams under every rule at once: team size, at least one
//! member qualified for the category (the lead), 回避 (own county or prefecture, declared conflicts,
//! recent inspection of the same enterprise) and the workload cap.
//!
//! Each team is a row of slots; slot 0 is the lead and must be qualified. Slots are filled in order:
//! in algorithm v2 each by a uniform draw among the eligible inspectors with capacity left (v1, kept
//! so its records verify: the first eligible after a random start in id order). When no candidate has capacity left, an
//! augmenting path moves assignments along (Kuhn's algorithm with capacities): a busy inspector hands
//! one of their slots to someone else, recursively, so a staffing is found whenever one is reachable
//! by such exchanges. Candidates are generated from indexes on the fly; the enterprise × inspector
//! graph is never built.

use std::collections::HashMap;

use chrono::{Months, NaiveDate};

use super::plan::{AvoidArea, Plan};
use super::rng::{Algorithm, DrawRng};
use super::seats::{Flags, kth_open};
use super::{InspectorEntry, Unit};

/// Why a drawn check could not be staffed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocked {
    NoQualified,
    Avoidance,
    Workload,
    TooFewEligible,
}

impl Blocked {
    pub fn reason(self, plan: &Plan) -> String {
        match self {
            Blocked::NoQualified => "no active inspector is qualified for the category".into(),
            Blocked::Avoidance => format!(
                "every qualified inspector is excluded by 回避 (same {}, declared conflict, or inspected it within {} months)",
                match plan.teams.avoid_same {
                    AvoidArea::County => "county",
                    AvoidArea::Prefecture => "prefecture",
                },
                plan.teams.avoid_recent_months
            ),
            Blocked::Workload => format!(
                "every eligible inspector has reached the workload cap ({})",
                plan.teams.max_per_inspector
            ),
            Blocked::TooFewEligible => format!(
                "fewer than {} eligible inspectors for the team",
                plan.teams.size
            ),
        }
    }
}

pub struct Staffing {
    /// Per unit: the team, lead first; `None` if it could not be staffed.
    pub teams: Vec<Result<Vec<usize>, Blocked>>,
}

struct Solver<'a> {
    plan: &'a Plan,
    units: &'a [Unit],
    inspectors: &'a [InspectorEntry],
    recent_since: NaiveDate,
    /// The candidate lists: every inspector (a member's seat), and those qualified for each
    /// category (the lead's).
    lists: HashMap<ListId<'a>, List>,
    /// `slots[u][s]`: the inspector in slot `s` of unit `u`'s team.
    slots: Vec<Vec<Option<usize>>>,
    /// Per inspector: the (unit, slot) pairs held.
    held: Vec<Vec<(usize, usize)>>,
    /// Per inspector: each list they are in, and their position there.
    positions: Vec<Vec<(ListId<'a>, usize)>>,
    /// Inspectors by the division 回避 compares (county or prefecture).
    by_area: HashMap<&'a str, Vec<usize>>,
    /// Inspectors by the enterprises of their declared conflicts and earlier assignments.
    by_enterprise: HashMap<&'a str, Vec<usize>>,
}

/// A candidate list: every inspector, or those qualified for a category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum ListId<'a> {
    All,
    Qualified(&'a str),
}

/// A candidate list's inspectors in canonical order, and which of them are below the workload cap.
struct List {
    members: Vec<usize>,
    open: Flags,
}

impl<'a> Solver<'a> {
    fn eligible(&self, p: usize, u: usize) -> bool {
        let (i, unit) = (&self.inspectors[p], &self.units[u]);
        let avoid = self.plan.teams.avoid_same;
        avoid.of(&i.county, &i.prefecture) != avoid.of(&unit.county, &unit.prefecture)
            && !i.conflicts.contains(&unit.credit_code)
            && !i
                .recent
                .iter()
                .any(|(code, day)| *code == unit.credit_code && *day > self.recent_since)
    }

    fn qualified_for(&self, p: usize, u: usize) -> bool {
        self.inspectors[p]
            .qualifications
            .contains(&self.units[u].category)
    }

    fn on_team(&self, p: usize, u: usize) -> bool {
        self.slots[u].contains(&Some(p))
    }

    fn can_take(&self, p: usize, u: usize, slot: usize) -> bool {
        !self.on_team(p, u) && self.eligible(p, u) && (slot > 0 || self.qualified_for(p, u))
    }

    fn list_id(&self, u: usize, slot: usize) -> ListId<'a> {
        if slot == 0 {
            ListId::Qualified(self.units[u].category.as_str())
        } else {
            ListId::All
        }
    }

    fn candidates(&self, u: usize, slot: usize) -> &[usize] {
        self.lists
            .get(&self.list_id(u, slot))
            .map_or(&[], |l| l.members.as_slice())
    }

    fn full(&self, p: usize) -> bool {
        self.held[p].len() >= self.plan.teams.max_per_inspector as usize
    }

    /// Keeps the open flags of `p` in step when their load crosses the cap.
    fn after_change(&mut self, p: usize, was_full: bool) {
        let full = self.full(p);
        if full != was_full {
            for &(list, pos) in &self.positions[p] {
                if let Some(l) = self.lists.get_mut(&list) {
                    l.open.flip(pos, !full);
                }
            }
        }
    }

    fn place(&mut self, p: usize, u: usize, slot: usize) {
        let was_full = self.full(p);
        self.slots[u][slot] = Some(p);
        self.held[p].push((u, slot));
        self.after_change(p, was_full);
    }

    fn unplace(&mut self, p: usize, u: usize, slot: usize) {
        let was_full = self.full(p);
        self.slots[u][slot] = None;
        self.held[p].retain(|&h| h != (u, slot));
        self.after_change(p, was_full);
    }

    /// Algorithm v2's seat: uniform among the candidates below the cap who can take it, in list
    /// order — counted and indexed without a pass over the list: the open flags give the count,
    /// and the few who cannot take it (same area, conflict or earlier assignment, already on the
    /// team) are the only ones looked at. None when nobody is open.
    fn draw_open(&self, u: usize, slot: usize, rng: &mut DrawRng) -> Option<usize> {
        let list = self.list_id(u, slot);
        let List {
            members,
            open: flags,
        } = self.lists.get(&list)?;
        let unit = &self.units[u];
        let area = self
            .plan
            .teams
            .avoid_same
            .of(&unit.county, &unit.prefecture);
        let suspects = self
            .by_area
            .get(area)
            .into_iter()
            .flatten()
            .chain(
                self.by_enterprise
                    .get(unit.credit_code.as_str())
                    .into_iter()
                    .flatten(),
            )
            .chain(self.slots[u].iter().flatten());
        let mut excluded: Vec<usize> = suspects
            .filter(|&&p| !self.full(p) && !self.can_take(p, u, slot))
            .filter_map(|&p| {
                self.positions[p]
                    .iter()
                    .find(|(l, _)| *l == list)
                    .map(|&(_, pos)| pos)
            })
            .collect();
        excluded.sort_unstable();
        excluded.dedup();
        let open = flags.ones() - excluded.len();
        if open == 0 {
            #[cfg(test)]
            assert_eq!(self.open_by_pass(u, slot, &mut rng.clone()), None);
            return None;
        }
        #[cfg(test)]
        let mut twin = rng.clone();
        let k = rng.below(open as u32) as usize;
        let pos = kth_open(flags, &excluded, k).expect("k is below the open count");
        let chosen = members[pos];
        // Every draw the tests make checks the fast count against the plain pass it replaced.
        #[cfg(test)]
        assert_eq!(Some(chosen), self.open_by_pass(u, slot, &mut twin));
        Some(chosen)
    }

    /// Algorithm v2's seat by a pass over the whole list (how it was first written): the
    /// reference the tests hold `draw_open` to.
    #[cfg(test)]
    fn open_by_pass(&self, u: usize, slot: usize, rng: &mut DrawRng) -> Option<usize> {
        let open: Vec<usize> = self
            .candidates(u, slot)
            .iter()
            .copied()
            .filter(|&p| !self.full(p) && self.can_take(p, u, slot))
            .collect();
        (!open.is_empty()).then(|| open[rng.below(open.len() as u32) as usize])
    }

    /// Fills slot `slot` of unit `u`, scanning candidates from `start`; moves others along an
    /// augmenting path when everyone suitable is at the cap.
    fn fill(&mut self, u: usize, slot: usize, start: usize, visited: &mut [bool]) -> bool {
        let cap = self.plan.teams.max_per_inspector as usize;
        let pool: Vec<usize> = {
            let c = self.candidates(u, slot);
            if c.is_empty() {
                return false;
            }
            let start = start % c.len();
            c[start..].iter().chain(&c[..start]).copied().collect()
        };
        // Someone suitable with capacity left.
        for &p in &pool {
            if !visited[p] && self.held[p].len() < cap && self.can_take(p, u, slot) {
                self.place(p, u, slot);
                return true;
            }
        }
        // A lead slot: a qualified member already on the team may step up, their seat refilled.
        if slot == 0 {
            for other in 1..self.slots[u].len() {
                let Some(m) = self.slots[u][other] else {
                    continue;
                };
                if !visited[m] && self.qualified_for(m, u) {
                    visited[m] = true;
                    self.unplace(m, u, other);
                    self.place(m, u, 0);
                    if self.fill(u, other, 0, visited) {
                        return true;
                    }
                    self.unplace(m, u, 0);
                    self.place(m, u, other);
                }
            }
        }
        // A suitable inspector at the cap hands one of their seats on.
        for &p in &pool {
            if visited[p] || !self.can_take(p, u, slot) {
                continue;
            }
            visited[p] = true;
            for (u2, s2) in self.held[p].clone() {
                self.unplace(p, u2, s2);
                if self.fill(u2, s2, 0, visited) {
                    self.place(p, u, slot);
                    return true;
                }
                self.place(p, u2, s2);
            }
        }
        false
    }

    fn diagnose(&self, u: usize) -> Blocked {
        let qualified = self.candidates(u, 0);
        if qualified.is_empty() {
            return Blocked::NoQualified;
        }
        if !qualified.iter().any(|&p| self.eligible(p, u)) {
            return Blocked::Avoidance;
        }
        let everyone = self.lists.get(&ListId::All).map_or(&[][..], |l| &l.members);
        let eligible = everyone.iter().filter(|&&p| self.eligible(p, u)).count();
        if eligible < self.plan.teams.size as usize {
            return Blocked::TooFewEligible;
        }
        Blocked::Workload
    }
}

/// Staffs every unit, in order, from `inspectors`, each seat by `algorithm`'s rule.
pub fn staff(
    algorithm: Algorithm,
    plan: &Plan,
    as_of: NaiveDate,
    units: &[Unit],
    inspectors: &[InspectorEntry],
    rng: &mut DrawRng,
) -> Staffing {
    let mut qualified: HashMap<&str, Vec<usize>> = HashMap::new();
    for (p, i) in inspectors.iter().enumerate() {
        for q in &i.qualifications {
            qualified.entry(q.as_str()).or_default().push(p);
        }
    }
    let size = plan.teams.size as usize;
    let mut positions: Vec<Vec<(ListId, usize)>> = vec![Vec::new(); inspectors.len()];
    let mut lists = HashMap::new();
    for (list, members) in std::iter::once((ListId::All, (0..inspectors.len()).collect())).chain(
        qualified
            .into_iter()
            .map(|(c, m)| (ListId::Qualified(c), m)),
    ) {
        for (pos, &p) in members.iter().enumerate() {
            positions[p].push((list, pos));
        }
        let open = Flags::all_set(members.len());
        lists.insert(list, List { members, open });
    }
    let mut by_area: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut by_enterprise: HashMap<&str, Vec<usize>> = HashMap::new();
    for (p, i) in inspectors.iter().enumerate() {
        by_area
            .entry(plan.teams.avoid_same.of(&i.county, &i.prefecture))
            .or_default()
            .push(p);
        for code in i.conflicts.iter().chain(i.recent.iter().map(|(c, _)| c)) {
            by_enterprise.entry(code.as_str()).or_default().push(p);
        }
    }
    let mut solver = Solver {
        plan,
        units,
        inspectors,
        recent_since: as_of
            .checked_sub_months(Months::new(plan.teams.avoid_recent_months))
            .unwrap_or(NaiveDate::MIN),
        lists,
        slots: vec![vec![None; size]; units.len()],
        held: vec![Vec::new(); inspectors.len()],
        positions,
        by_area,
        by_enterprise,
    };
    let mut blocked = vec![None; units.len()];
    for (u, blocked) in blocked.iter_mut().enumerate() {
        for slot in 0..size {
            let filled = match algorithm {
                Algorithm::V1 => {
                    let n = solver.candidates(u, slot).len().max(1) as u32;
                    let start = rng.below(n) as usize;
                    let mut visited = vec![false; inspectors.len()];
                    solver.fill(u, slot, start, &mut visited)
                }
                Algorithm::V2 => {
                    // Every eligible inspector with capacity left is equally likely.
                    match solver.draw_open(u, slot, rng) {
                        Some(p) => {
                            solver.place(p, u, slot);
                            true
                        }
                        None => {
                            let mut visited = vec![false; inspectors.len()];
                            solver.fill(u, slot, 0, &mut visited)
                        }
                    }
                }
            };
            if !filled {
                // Release the partial team: its members may staff others.
                for s in 0..size {
                    if let Some(p) = solver.slots[u][s] {
                        solver.unplace(p, u, s);
                    }
                }
                *blocked = Some(solver.diagnose(u));
                break;
            }
        }
    }
    let teams = (0..units.len())
        .map(|u| match blocked[u] {
            Some(b) => Err(b),
            None => Ok(solver.slots[u].iter().map(|p| p.expect("filled")).collect()),
        })
        .collect();
    Staffing { teams }
}
