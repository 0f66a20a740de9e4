using System.Text;

namespace Praison.Actors;

/// <summary>
/// Some items of a batch submission (<see cref="IBackgroundRunner.SubmitManyAsync{TItem, T}"/>,
/// <see cref="IBackgroundRunner.RunBackgroundManyAsync"/>) were not accepted. The batch is not all-or-nothing: the
/// items in <see cref="Submitted"/> are stored and will run; cancel them if the batch must not run partly.
/// </summary>
public sealed class BatchSubmitException : BackgroundTaskException
{
    internal BatchSubmitException(IReadOnlyList<ActorHandle?> submitted, IReadOnlyDictionary<int, Exception> failures)
        : base(null, Describe(submitted, failures), failures.Values.First())
    {
        Submitted = submitted;
        Failures = failures;
    }

    /// <summary>One entry per input item, in input order: the handle of a stored task, or null where the item failed.</summary>
    public IReadOnlyList<ActorHandle?> Submitted { get; }

    /// <summary>
    /// Why each failed item was not accepted, by input index: <see cref="TaskRejectedException"/> means it was not
    /// stored; anything else (an ask timeout, an <see cref="OperationCanceledException"/>) means no answer came, so
    /// it may have been stored (look it up with <see cref="IBackgroundRunner.ListAsync"/>).
    /// </summary>
    public IReadOnlyDictionary<int, Exception> Failures { get; }

    private static string Describe(IReadOnlyList<ActorHandle?> submitted, IReadOnlyDictionary<int, Exception> failures)
    {
        var text = new StringBuilder()
            .Append(failures.Count).Append(" of ").Append(submitted.Count).Append(" submissions were not accepted; the other ")
            .Append(submitted.Count - failures.Count).Append(" are stored and will run (see Submitted).");
        foreach (var (index, error) in failures.OrderBy(f => f.Key).Take(5))
            text.Append(" Item ").Append(index).Append(error is TaskRejectedException ? " (not stored): " : " (no answer, may be stored): ")
                .Append(error.Message);
        if (failures.Count > 5) text.Append(" … and ").Append(failures.Count - 5).Append(" more in Failures.");
        return text.ToString();
    }
}
