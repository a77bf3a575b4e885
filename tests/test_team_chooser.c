// SPDX-License-Identifier: MIT
// The adaptive team's chooser (bp_team_choose, trainer.c) fed synthetic step
// times: a machine whose steps are what the scenario says, so each decision
// is checked without timing anything. Times are per step of 128 rows, in
// the proportions of W1 batch 128 measured on the 2-core benchmark machine
// (one thread 0.85 ms, two threads 0.5 ms; with a CPU-bound process on each
// core one thread took about 1.7 ms and two threads 5-10 ms).
#include <criterion/criterion.h>
#include <stdint.h>

#include "bp_internal.h"

enum { ROWS = 128, TEAM = 2 };

typedef struct {
    double one, team; // seconds per step on one thread and on the team
} machine;

// Runs steps [from, to) on machine m(step) and returns how many ran alone;
// longest[0] gets the longest run of consecutive steps alone.
static unsigned run(bp_team_chooser *c, uint64_t from, uint64_t to, machine (*m)(uint64_t),
                    unsigned *longest) {
    unsigned alone = 0, streak = 0;
    if (longest) *longest = 0;
    for (uint64_t s = from; s < to; s++) {
        int team = bp_team_choose(c, s);
        cr_assert(team == 1 || team == TEAM, "step %llu: team %d", (unsigned long long)s, team);
        machine now = m(s);
        bp_team_timed(c, s, team, ROWS, team == 1 ? now.one : now.team);
        streak = team == 1 ? streak + 1 : 0;
        alone += team == 1;
        if (longest && streak > *longest) *longest = streak;
    }
    return alone;
}

// An idle machine on which one step in 40 takes 4 times as long and every
// 120 steps two in a row do (the host taking a core away; never more than two
// in any five steps): the team stays. A running mean of the team's times
// would cross one thread's at the first such step (0.7 x 0.5 + 0.3 x 2.0 =
// 0.95 ms > 0.85 ms).
static machine idle_with_hiccups(uint64_t s) {
    double k = (s % 40 == 17 || s % 120 == 37 || s % 120 == 38) ? 4.0 : 1.0;
    return (machine){0.85e-3 * k, 0.5e-3 * k};
}

// Probes that start before step n when the choice never changes: the first
// at step 8, then 32, 128, 512, 512, ... steps after the end of the previous one.
static unsigned probes_before(uint64_t n) {
    unsigned count = 0;
    for (uint64_t at = 8, every = 32; at < n; every = every * 4 < 512 ? every * 4 : 512) {
        count++;
        at += 2 + every;
    }
    return count;
}

Test(team_chooser, idle_machine_keeps_the_team_through_hiccups) {
    bp_team_chooser c;
    bp_team_init(&c, TEAM);
    unsigned longest;
    unsigned alone = run(&c, 0, 5000, idle_with_hiccups, &longest);
    // Only the probes run alone, 3 steps each.
    unsigned probes = probes_before(5000);
    cr_expect_eq(longest, 3, "a run of %u steps alone on an idle machine", longest);
    cr_expect_eq(alone, 3 * probes, "%u steps alone in 5000, expected %u probes of 3", alone, probes);
}

// Busy from step 1000 to 3000 (the team's steps wait for descheduled
// partners), idle before and after.
static machine busy_between(uint64_t s) {
    if (s >= 1000 && s < 3000) return (machine){1.7e-3, (s % 3 ? 6e-3 : 10e-3)};
    return (machine){0.85e-3, 0.5e-3};
}

Test(team_chooser, follows_the_machine_both_ways) {
    bp_team_chooser c;
    bp_team_init(&c, TEAM);
    unsigned longest;
    run(&c, 0, 1000, busy_between, NULL);
    // Three slow team steps move the median of five: the fourth runs alone.
    cr_expect_eq(run(&c, 1000, 1003, busy_between, NULL), 0);
    cr_expect_eq(run(&c, 1003, 1004, busy_between, NULL), 1, "still on the team 4 steps into contention");
    // While busy, only the probes (3 steps, the first not counted) use the team.
    unsigned alone = run(&c, 1004, 3000, busy_between, NULL);
    cr_expect_geq(alone, 1996 - 3 * 12, "only %u of 1996 busy steps alone", alone);
    // Idle again: the next probe (at most 512 + 3 steps away) brings the team back.
    alone = run(&c, 3000, 3600, busy_between, &longest);
    cr_expect_leq(alone, 515, "%u steps alone after the machine went idle", alone);
    cr_expect_eq(run(&c, 3600, 4000, busy_between, &longest) <= 3, 1, "back on the team by step 3600");
}

// A burst of five slow team steps on an idle machine (a host stall long
// enough to move the median): the team runs alone for a moment only.
static machine stall_at_500(uint64_t s) {
    double k = s >= 500 && s < 505 ? 15.0 : 1.0;
    return (machine){0.85e-3 * k, 0.5e-3 * k};
}

Test(team_chooser, a_stall_is_undone_within_a_probe) {
    bp_team_chooser c;
    bp_team_init(&c, TEAM);
    run(&c, 0, 500, stall_at_500, NULL);
    unsigned longest;
    unsigned alone = run(&c, 500, 700, stall_at_500, &longest);
    // Switched after the third slow step; the probe 8 steps later finds the
    // team fast again (its old times are dropped), so at most 3 + 8 steps in
    // a row; then probes 8, 32, 128 steps apart, 3 steps each.
    cr_expect_leq(longest, 11, "%u steps alone in a row after a 5-step stall", longest);
    cr_expect_leq(alone, 11 + 3 * 3, "%u steps alone in the 200 after a stall", alone);
}

// The first step after a change of team size is not counted: a cold step
// (threads waking) on the team must not send it to one thread.
Test(team_chooser, first_step_on_a_size_is_not_counted) {
    bp_team_chooser c;
    bp_team_init(&c, TEAM);
    for (uint64_t s = 0; s < 8; s++) bp_team_timed(&c, s, bp_team_choose(&c, s), ROWS, 0.5e-3);
    for (uint64_t s = 8; s < 11; s++) { // the probe: one thread, fast enough to lose
        cr_assert_eq(bp_team_choose(&c, s), 1);
        bp_team_timed(&c, s, 1, ROWS, 0.85e-3);
    }
    cr_assert_eq(bp_team_choose(&c, 11), TEAM);
    bp_team_timed(&c, 11, TEAM, ROWS, 50e-3); // waking the team: 100 times slower
    cr_expect_eq(bp_team_choose(&c, 12), TEAM, "one cold step sent the team to one thread");
}
