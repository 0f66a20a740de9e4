using Akka.Actor;
using Akka.Event;

namespace Praison.Actors.Messages;

/// <summary>
/// Messages of the scheduler actor: its timers, reload requests and the results of its work (PipeTo). Only
/// <see cref="ReloadSchedules"/>, <see cref="ScheduleChanged"/> and <see cref="ScheduleChangeSeen"/> leave the process
/// (to and from a cluster's scheduler singleton).
/// </summary>
internal interface ISchedulerMessage : INoSerializationVerificationNeeded, IDeadLetterSuppression;

/// <summary>Look at every schedule now and fire what is due.</summary>
internal sealed record SchedulerTick : ISchedulerMessage
{
    public static readonly SchedulerTick Instance = new();
}

/// <summary>
/// Read the schedules from the store again (a schedule was added, changed or removed, possibly by another process).
/// In a cluster every node's runner sends it through the singleton proxy, so it is serialized (<see cref="IPraisonMessage"/>).
/// </summary>
internal sealed record ReloadSchedules : ISchedulerMessage, IPraisonMessage
{
    public static readonly ReloadSchedules Instance = new();
}

/// <summary>The schedules read from the store; <paramref name="Error"/> when the read failed.</summary>
internal sealed record SchedulesLoaded(IReadOnlyList<ScheduleRecord>? Schedules, string? Error) : ISchedulerMessage;

/// <summary>
/// One schedule's look is done: its record as stored now (null when it was deleted meanwhile or the look failed,
/// <paramref name="Error"/> then says why), and how many slots it submitted.
/// </summary>
internal sealed record ScheduleLooked(string Name, ScheduleRecord? Record, int Fired, string? Error) : ISchedulerMessage;

/// <summary>
/// A writer stored a change to schedule <paramref name="Name"/> (created, paused, updated, deleted). The scheduler reads
/// that row again, looks at it no more until the read is in, and answers <see cref="ScheduleChangeSeen"/> once it holds
/// the change and no look that began before it is still running: a writer that waits for the answer knows the
/// scheduler acts on its change from then on (a paused schedule fires no more). Serialized like <see cref="ReloadSchedules"/>.
/// </summary>
internal sealed record ScheduleChanged(string Name) : ISchedulerMessage, IPraisonMessage;

/// <summary>The answer to <see cref="ScheduleChanged"/>: the scheduler acts on the stored change from now on.</summary>
internal sealed record ScheduleChangeSeen(string Name) : ISchedulerMessage, IPraisonMessage;

/// <summary>One row read again after <see cref="ScheduleChanged"/> (null: deleted), for <paramref name="ReplyTo"/>; Error when the read failed.</summary>
internal sealed record ScheduleReread(string Name, ScheduleRecord? Record, string? Error, IActorRef ReplyTo, long Seq) : ISchedulerMessage;

/// <summary>The looks of one batch (every schedule due at one instant), done together: one result per schedule.</summary>
internal sealed record SchedulesLooked(IReadOnlyList<ScheduleLooked> Looks) : ISchedulerMessage;
