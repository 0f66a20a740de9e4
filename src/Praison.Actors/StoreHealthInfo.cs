namespace Praison.Actors;

/// <summary>
/// The health of a runner's store as its writes see it: <see cref="Healthy"/> is false from the first failed write
/// (<see cref="Since"/>) until a write succeeds again; <see cref="LastError"/> is the last failure's message.
/// </summary>
public sealed record StoreHealthInfo(bool Healthy, string? LastError, DateTimeOffset? Since);
