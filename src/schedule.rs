//! The simulation: a bevy `World` of clinicians and the monthly `Schedule`.
//!
//! The order of a month, in one place:
//! 1. `begin_month`     — advance the clock; reset the pause approval year.
//! 2. `step_clinicians` — in parallel: ageing, retirement, one competing
//!    hazard draw, time rules (`step::step_clinician`).
//! 3. `merge_tallies`   — per-thread stock changes, flows, durations and
//!    freed slots into the ledger.
//! 4. `approve_pauses`  — OOP Pause approvals up to capacity, in keyed order.
//! 5. `recruitment`     — calendar-gated, capacity-limited rounds (training
//!    posts; return campaigns from the leaver pool).
//! 6. `inflows`         — student intakes and international arrivals, in
//!    freed slots first.
//! 7. `close_month`     — the funded establishment grows by the month's
//!    share of its yearly rate; the month's accounts go into the history.
//!
//! **Architecture invariant:** nothing here does IO; results are returned
//! as data and written by the edge (`output`).

use std::collections::BTreeMap;
use std::sync::Arc;

use bevy_ecs::prelude::*;
use bevy_ecs::schedule::SingleThreadedExecutor;
use bevy_tasks::{ComputeTaskPool, TaskPoolBuilder};
use bevy_utils::Parallel;
use hdrhistogram::Histogram;
use rayon::prelude::*;

use crate::clinician::{Clinician, State};
use crate::ledger::{Counters, Duration, MonthLedger, MonthRecord, Tally};
use crate::mechanisms::{Ctx, enter, establishment, inflow, pause, recruitment};
use crate::population;
use crate::rules::{FTE_UNCHANGED, Rules};
use crate::snapshot::Snapshot;
use crate::step::{Slot, step_clinician};

/// The rules of the run, shared.
#[derive(Resource, Clone)]
pub struct RunRules(pub Arc<Rules>);

/// The run's clock and counters that carry across months.
#[derive(Resource, Clone, Debug)]
pub struct Clock {
    /// Run seed.
    pub seed: u64,
    /// Last month completed (0 = initial population only).
    pub month: u32,
    /// Next clinician id.
    pub next_id: u64,
    /// Size of the initial population.
    pub initial_population: u64,
    /// Pause approvals used in the current approval year.
    pub pause_used: u32,
    /// The leaver pool is inert (only counted, not stepped).
    pub leaver_inert: bool,
}

/// Per-thread tallies of the parallel step.
#[derive(Resource, Default)]
pub struct Tallies(pub Parallel<Tally>);

/// Inert leavers whose slots were freed for joiners: they can never change
/// again, so they live on only as counts (still in every stock).
#[derive(Resource, Clone, Default)]
pub struct RemovedLeavers {
    /// Headcount per stock cell.
    pub stock: Vec<u32>,
}

/// Slots free for joiners (their clinicians left the model).
#[derive(Resource, Default)]
pub struct FreeSlots(pub Vec<Slot>);

/// Pause applications waiting for approval this month.
#[derive(Resource, Default)]
pub struct PendingPauses(pub Vec<(u32, u64, Slot)>);

/// Runs `f` on every clinician as one slice, indexed by [`Slot`]. Bevy
/// keeps them in one dense table (one archetype; clinicians are never
/// despawned, their slots are reused), so a slot is a row of that table and
/// stays valid until the world is dropped.
pub fn with_slots<R>(world: &mut World, f: impl FnOnce(&mut [Clinician]) -> R) -> R {
    let mut q = world.query::<&mut Clinician>();
    let Ok(mut tables) = q.contiguous_iter_mut(world) else {
        unreachable!("Clinician is a dense table component")
    };
    match tables.next() {
        Some(mut table) => {
            assert!(tables.next().is_none(), "clinicians live in one table");
            f(table.bypass_change_detection())
        }
        None => f(&mut []),
    }
}

/// Everything recorded so far.
#[derive(Resource, Clone)]
pub struct History {
    /// One record per month, from month 0.
    pub records: Vec<MonthRecord>,
    /// Duration histograms (months).
    pub durations: BTreeMap<Duration, Histogram<u64>>,
}

impl History {
    fn record_duration(&mut self, d: Duration, months: u32) {
        self.durations
            .entry(d)
            .or_insert_with(|| Histogram::new_with_bounds(1, 2400, 3).expect("static histogram bounds are valid"))
            .saturating_record(months.max(1) as u64);
    }
}

/// Makes sure bevy's compute pool exists (the edge sizes it first with
/// `init_threads`; tests get a single-threaded pool).
pub fn init_threads(threads: usize) {
    let threads = threads.max(1);
    ComputeTaskPool::get_or_init(|| TaskPoolBuilder::new().num_threads(threads).build());
    // rayon is used by ensembles at the edge; size it the same. It can be
    // built only once per process, so a second call keeps the first pool.
    let _ = rayon::ThreadPoolBuilder::new().num_threads(threads).build_global();
}

/// A running simulation.
pub struct Simulation {
    /// The world of clinicians and resources.
    pub world: World,
    schedule: Schedule,
}

/// Whether the leaver pool is only counted: no hazard out of `leaver` in any
/// year, and retirement into it.
fn leaver_inert(rules: &Rules) -> bool {
    let no_hazards = rules.hazard_years.iter().all(|y| {
        rules.grades.iter().enumerate().all(|(g, _)| {
            (0..rules.n_bands).all(|b| {
                [false, true]
                    .iter()
                    .all(|&f| y.cells[rules.cell_index(g as u8, State::Leaver, b as u8, f)].1 == 0)
            })
        })
    });
    no_hazards && rules.groups.iter().all(|g| g.retire_to == State::Leaver)
}

impl Simulation {
    /// Builds the initial population and records month 0.
    pub fn new(rules: Arc<Rules>, seed: u64, agents: Option<u64>) -> Simulation {
        let cells = rules.n_stock_cells();
        let mut ledger = MonthLedger {
            stock: vec![0; cells],
            fte: vec![0; cells],
            ..Default::default()
        };
        reset_counters(&rules, &mut ledger.counters);
        let clock = Clock {
            seed,
            month: 0,
            next_id: 0,
            initial_population: 0,
            pause_used: 0,
            leaver_inert: leaver_inert(&rules),
        };
        let history = History {
            records: Vec::new(),
            durations: BTreeMap::new(),
        };
        let population = population::population(&rules, seed, agents);
        let mut sim = Simulation::with_population(rules.clone(), clock, ledger, history, Vec::new(), population);
        let n = sim.entities();
        let mut clock = sim.world.resource_mut::<Clock>();
        clock.next_id = n;
        clock.initial_population = n;
        // Month 0: the stocks of the initial population, no flows.
        let (stock, fte) = sim.recount();
        let mut ledger = sim.world.resource_mut::<MonthLedger>();
        ledger.counters.establishment_fte = establishment::initial(&rules, &fte);
        ledger.stock = stock;
        ledger.fte = fte;
        let record = ledger.close(0);
        sim.world.resource_mut::<History>().records.push(record);
        sim
    }

    /// Sets up resources and the schedule first, then spawns the clinicians
    /// in one exactly-sized batch: any entity bevy creates after the batch
    /// (resources, systems) would double its per-entity storage, and the
    /// copy would raise peak memory by about a third.
    fn with_population(
        rules: Arc<Rules>,
        clock: Clock,
        ledger: MonthLedger,
        history: History,
        removed: Vec<u32>,
        clinicians: impl IntoIterator<Item = Clinician>,
    ) -> Simulation {
        init_threads(1);
        let mut world = World::new();
        world.insert_resource(RemovedLeavers { stock: removed });
        world.insert_resource(clock);
        world.insert_resource(ledger);
        world.insert_resource(history);
        world.insert_resource(RunRules(rules));
        world.insert_resource(Tallies::default());
        world.insert_resource(PendingPauses::default());
        world.insert_resource(FreeSlots::default());
        let mut schedule = monthly_schedule();
        schedule
            .initialize(&mut world)
            .expect("the monthly schedule is well formed");
        world.spawn_batch(clinicians);
        Simulation { world, schedule }
    }

    /// Runs one month, first putting in force the hazard tables of its
    /// calendar year (`hazard.*.multiplier_by_year`).
    pub fn step_month(&mut self) {
        let rules = self.rules();
        let year = rules.start.plus(self.month() + 1).year;
        if let Some(r) = rules.for_year(year) {
            self.world.insert_resource(RunRules(Arc::new(r)));
        }
        self.schedule.run(&mut self.world);
    }

    /// The last month completed.
    pub fn month(&self) -> u32 {
        self.world.resource::<Clock>().month
    }

    /// The rules.
    pub fn rules(&self) -> Arc<Rules> {
        self.world.resource::<RunRules>().0.clone()
    }

    /// The history so far.
    pub fn history(&self) -> &History {
        self.world.resource::<History>()
    }

    /// Takes the history out (end of run).
    pub fn take_history(&mut self) -> History {
        self.world
            .remove_resource::<History>()
            .expect("history exists while the simulation exists")
    }

    /// Entities in the world (live clinicians plus free slots).
    pub fn entities(&mut self) -> u64 {
        self.world.query::<&Clinician>().iter(&self.world).len() as u64
    }

    /// Continues the run with another seed: every draw of the months still
    /// to come is keyed by it (replicate r of an ensemble branched from one
    /// saved snapshot continues with the snapshot's seed + r). The months
    /// already run are unchanged.
    pub fn reseed(&mut self, seed: u64) {
        self.world.resource_mut::<Clock>().seed = seed;
    }

    /// The clock.
    pub fn clock(&self) -> &Clock {
        self.world.resource::<Clock>()
    }

    /// Continues the run under other rules (a policy lever taking effect).
    /// The rules must describe the same structure — groups, grades, regions,
    /// inflows and recruitment schemes by name — so every stock cell and
    /// counter keeps its meaning; rates, capacities and policies may differ.
    pub fn switch_rules(&mut self, rules: Arc<Rules>) -> Result<(), crate::error::StructureError> {
        let old = self.rules();
        let names = |r: &Rules| {
            (
                r.groups.iter().map(|g| g.name.clone()).collect::<Vec<_>>(),
                r.grades.iter().map(|g| g.name.clone()).collect::<Vec<_>>(),
                r.regions.clone(),
                r.inflows.iter().map(|f| f.name.clone()).collect::<Vec<_>>(),
                r.schemes.iter().map(|s| s.name.clone()).collect::<Vec<_>>(),
            )
        };
        if names(&old) != names(&rules) {
            return Err(crate::error::StructureError(
                "groups, grades, regions, inflows and recruitment schemes must stay the same".into(),
            ));
        }
        let inert = leaver_inert(&rules);
        let mut clock = self.world.resource_mut::<Clock>();
        if clock.leaver_inert && !inert {
            return Err(crate::error::StructureError(
                "the leaver pool was only counted under the old rules (no returns), so returns cannot start later"
                    .into(),
            ));
        }
        clock.leaver_inert = inert;
        self.world.insert_resource(RunRules(rules));
        Ok(())
    }

    /// All live clinicians, sorted by id (for snapshots and comparisons).
    pub fn clinicians(&mut self) -> Vec<Clinician> {
        let mut q = self.world.query::<&Clinician>();
        let mut v: Vec<Clinician> = q
            .iter(&self.world)
            .filter(|c| c.state != State::Gone)
            .copied()
            .collect();
        v.sort_unstable_by_key(|c| c.id());
        v
    }

    /// Stocks recounted from the clinicians in the world (plus removed inert
    /// leavers): what the flow-carried ledger must equal.
    pub fn recount(&mut self) -> (Vec<u32>, Vec<u64>) {
        let rules = self.rules();
        let n = rules.n_stock_cells();
        let (mut stock, mut fte) = (vec![0u32; n], vec![0u64; n]);
        let r = self.world.resource::<RemovedLeavers>();
        stock.iter_mut().zip(&r.stock).for_each(|(a, b)| *a += b);
        let mut q = self.world.query::<&Clinician>();
        for c in q.iter(&self.world) {
            if let Some(cell) = crate::ledger::cell_of(&rules, c) {
                stock[cell] += 1;
                fte[cell] += crate::ledger::fte_of(&rules, c) as u64;
            }
        }
        (stock, fte)
    }

    /// A snapshot of the whole run state.
    pub fn snapshot(&mut self) -> Snapshot {
        let clinicians = self.clinicians();
        let clock = self.clock().clone();
        let history = self.history().clone();
        let removed = self
            .world
            .get_resource::<RemovedLeavers>()
            .map(|r| r.stock.clone())
            .unwrap_or_default();
        Snapshot::capture(&self.rules(), &clock, clinicians, removed, &history)
    }

    /// Restores a simulation from a snapshot made with the same rules.
    pub fn restore(rules: Arc<Rules>, snap: Snapshot) -> Result<Simulation, crate::error::SnapshotError> {
        let (clock, clinicians, removed, history) = snap.into_parts(&rules)?;
        let cells = rules.n_stock_cells();
        let last = history.records.last().cloned();
        let mut ledger = MonthLedger {
            stock: vec![0; cells],
            fte: vec![0; cells],
            ..Default::default()
        };
        if let Some(r) = last {
            ledger.stock = r.stock;
            ledger.fte = r.fte;
        }
        Ok(Simulation::with_population(
            rules, clock, ledger, history, removed, clinicians,
        ))
    }
}

fn reset_counters(rules: &Rules, k: &mut Counters) {
    *k = Counters {
        posts_offered: vec![0; rules.schemes.len()],
        posts_filled: vec![0; rules.schemes.len()],
        applicants: vec![0; rules.schemes.len()],
        unplaced: vec![0; rules.schemes.len()],
        places: vec![0; rules.inflows.len()],
        inflow_applicants: vec![0; rules.inflows.len()],
        starts: vec![0; rules.inflows.len()],
        ..Default::default()
    };
}

/// The monthly schedule, phases in order.
pub fn monthly_schedule() -> Schedule {
    let mut schedule = Schedule::default();
    schedule.set_executor(SingleThreadedExecutor::new());
    schedule.add_systems(
        (
            begin_month,
            step_clinicians,
            merge_tallies,
            approve_pauses,
            recruitment_rounds,
            inflows,
            close_month,
        )
            .chain(),
    );
    schedule
}

fn begin_month(mut clock: ResMut<Clock>, rules: Res<RunRules>, mut ledger: ResMut<MonthLedger>) {
    clock.month += 1;
    let date = rules.0.start.plus(clock.month);
    if date.month == rules.0.pause.year_start_month {
        clock.pause_used = 0;
    }
    ledger.flows.clear();
    reset_counters(&rules.0, &mut ledger.counters);
}

/// Clinicians per parallel work item: large enough to amortise scheduling,
/// small enough to balance two to a few dozen threads.
const CHUNK: usize = 1 << 14;

fn step_clinicians(mut query: Query<&mut Clinician>, rules: Res<RunRules>, clock: Res<Clock>, tallies: Res<Tallies>) {
    let rules: &Rules = &rules.0;
    let ctx = Ctx::new(clock.seed, clock.month);
    let inert = clock.leaver_inert;
    let cells = rules.n_stock_cells();
    let Ok(tables) = query.contiguous_iter_mut() else {
        unreachable!("Clinician is a dense table component")
    };
    // The one table of clinicians (see `with_slots`) as a slice, split into
    // chunks stepped on rayon's pool; a clinician's slot is its row.
    for (n, mut clinicians) in tables.enumerate() {
        assert_eq!(n, 0, "clinicians live in one table");
        let slice = clinicians.bypass_change_detection();
        slice.par_chunks_mut(CHUNK).enumerate().for_each(|(k, cs)| {
            tallies.0.scope_or(
                || Tally::new(cells),
                |tally| {
                    let first = (k * CHUNK) as Slot;
                    for (i, c) in cs.iter_mut().enumerate() {
                        step_clinician(rules, inert, c, first + i as Slot, ctx, tally);
                    }
                },
            );
        });
    }
}

fn merge_tallies(
    mut tallies: ResMut<Tallies>,
    mut ledger: ResMut<MonthLedger>,
    mut history: ResMut<History>,
    mut pending: ResMut<PendingPauses>,
    mut free: ResMut<FreeSlots>,
    mut removed: ResMut<RemovedLeavers>,
) {
    pending.0.clear();
    let mut durations = Vec::new();
    // Each thread's flows sorted in parallel, then counted in runs: one map
    // update per distinct flow instead of one per transition.
    let mut ts: Vec<&mut Tally> = tallies.0.iter_mut().collect();
    ts.par_iter_mut().for_each(|t| t.flows.sort_unstable());
    for t in ts {
        for (dst, src) in ledger.stock.iter_mut().zip(&t.stock) {
            *dst = (*dst as i64 + src) as u32;
        }
        for (dst, src) in ledger.fte.iter_mut().zip(&t.fte) {
            *dst = (*dst as i64 + src) as u64;
        }
        for run in t.flows.chunk_by(|a, b| a == b) {
            *ledger.flows.entry(run[0]).or_insert(0) += run.len() as u32;
        }
        ledger.counters.agent_months += t.agent_months;
        ledger.counters.ccts += t.ccts;
        durations.append(&mut t.durations);
        for &(g, tenths) in &t.course_exits {
            let e = ledger.counters.course_exits.entry(g).or_default();
            e.0 += 1;
            e.1 += tenths as u64;
        }
        for &(cell, returned) in &t.retirements {
            let e = ledger.counters.retirements.entry(cell).or_default();
            e.0 += 1;
            e.1 += returned as u32;
        }
        pending.0.append(&mut t.pause_requests);
        free.0.append(&mut t.freed);
        if !t.removed_leavers.is_empty() {
            let n = ledger.stock.len();
            if removed.stock.is_empty() {
                removed.stock = vec![0; n];
            }
            let r = &mut *removed;
            for &cell in &t.removed_leavers {
                r.stock[cell] += 1;
            }
        }
        let n = t.stock.len();
        *t = Tally::new(n);
    }
    for (d, m) in durations {
        if let Duration::TimeToCct(g) = d {
            let e = ledger.counters.cct_months.entry(g).or_default();
            e.0 += 1;
            e.1 += m as u64;
        }
        history.record_duration(d, m);
    }
}

fn approve_pauses(world: &mut World) {
    let rules = world.resource::<RunRules>().0.clone();
    let mut requests = std::mem::take(&mut world.resource_mut::<PendingPauses>().0);
    if requests.is_empty() {
        return;
    }
    requests.sort_unstable_by_key(|r| (r.0, r.1));
    let clock = world.resource::<Clock>().clone();
    let ctx = Ctx::new(clock.seed, clock.month);
    let left = pause::capacity_left(&rules, clock.pause_used).unwrap_or(u32::MAX) as usize;
    let approved = requests.len().min(left);
    let mut scratch = Tally::default();
    let mut changes = Vec::new();
    with_slots(world, |slots| {
        for r in &requests[..approved] {
            let c = &mut slots[r.2 as usize];
            if pause::eligible(&rules, c) {
                let before = *c;
                let grade = c.grade;
                enter(&rules, c, State::Pause, grade, FTE_UNCHANGED, ctx, &mut scratch);
                changes.push((before, *c));
            }
        }
    });
    world.resource_mut::<Clock>().pause_used += changes.len() as u32;
    let mut ledger = world.resource_mut::<MonthLedger>();
    for (b, a) in &changes {
        ledger.transfer(&rules, Some(b), a);
    }
    ledger.counters.pause_approved += changes.len() as u32;
    ledger.counters.pause_refused += (requests.len() - changes.len()) as u32;
}

fn recruitment_rounds(world: &mut World) {
    let rules = world.resource::<RunRules>().0.clone();
    if rules.schemes.is_empty() {
        return;
    }
    let clock = world.resource::<Clock>().clone();
    let date = rules.start.plus(clock.month);
    let ctx = Ctx::new(clock.seed, clock.month);
    recruitment::run_rounds(world, &rules, ctx, date.month, date.year);
}

fn inflows(world: &mut World) {
    let rules = world.resource::<RunRules>().0.clone();
    let mut clock = world.resource::<Clock>().clone();
    let (joiners, counts) = inflow::joiners(
        &rules,
        clock.seed,
        clock.month,
        clock.initial_population,
        &mut clock.next_id,
    );
    *world.resource_mut::<Clock>() = clock;
    let mut ledger = world.resource_mut::<MonthLedger>();
    for c in &joiners {
        ledger.transfer(&rules, None, c);
    }
    for (i, (p, a, s)) in counts.into_iter().enumerate() {
        ledger.counters.places[i] += p;
        ledger.counters.inflow_applicants[i] += a;
        ledger.counters.starts[i] += s;
    }
    // Joiners take the slots of clinicians who left most recently (sorted,
    // so the writes sweep the table once), then new entities.
    let mut free = std::mem::take(&mut world.resource_mut::<FreeSlots>().0);
    let mut taken = free.split_off(free.len() - free.len().min(joiners.len()));
    taken.sort_unstable();
    let mut joiners = joiners.into_iter();
    with_slots(world, |slots| {
        for (&slot, c) in taken.iter().zip(joiners.by_ref()) {
            slots[slot as usize] = c;
        }
    });
    world.resource_mut::<FreeSlots>().0 = free;
    let rest: Vec<Clinician> = joiners.collect();
    if !rest.is_empty() {
        world.spawn_batch(rest);
    }
}

fn close_month(clock: Res<Clock>, rules: Res<RunRules>, mut ledger: ResMut<MonthLedger>, mut history: ResMut<History>) {
    let rules = &rules.0;
    if let Some(last) = history.records.last() {
        ledger.counters.establishment_fte =
            establishment::grow(rules, &last.counters.establishment_fte, rules.start.plus(clock.month));
    }
    if let Some(cost) = &rules.cost {
        ledger.counters.cost = crate::mechanisms::cost::month_cost(rules, cost, &ledger, rules.start.plus(clock.month));
    }
    let record = ledger.close(clock.month);
    history.records.push(record);
}
