//! Property test over generated scenarios (ckptsim's proptest strategies): the word counter, mixed with the built-in keyed operators, keeps every checker passing under generated configurations and faults.

use ckptsim_downstream::registry;
use ckptsim_sim::{api, strategies};
use proptest::prelude::*;

proptest! {
    // Few cases: each is a whole simulated run (PROPTEST_CASES raises it).
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]
    #[test]
    fn generated_jobs_pass_every_checker(
        spec in strategies::replayable_job(registry(), vec!["word_counter".into()]),
        seed in 0u64..10_000,
    ) {
        let r = api::run_spec(&spec, seed, &registry());
        // On a failure: the run, and the scenario as a file to replay (`ckptsim run` needs no
        // registry when the keyed operator is a built-in one).
        prop_assert!(
            r.failed_expectations().is_empty(),
            "{}\n--- scenario (seed {seed}) ---\n{}",
            r.render(),
            ckptsim_sim::emit::to_toml(&spec, "# generated")
        );
    }
}
