using Xunit;

// Notebooks read their inputs from process-wide environment variables, so two notebook tests running at once would
// read each other's inputs; each also loads a whole kernel, so running them one at a time costs little.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
