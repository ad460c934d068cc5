using Xunit;

// End-to-end tests attach real uprobes: an --exe recording traces every process of its binary, so two tests using
// the same fixture at once would see each other's calls. They run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
