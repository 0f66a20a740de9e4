using Akka.Actor;
using Akka.Event;

namespace Praison.Actors.Messages;

/// <summary>
/// Messages of the scheduler actor: its timers, reload requests and the results of its work (PipeTo). Only
/// <see cref="ReloadSchedules"/> leaves the process (to a cluster's scheduler singleton).
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
