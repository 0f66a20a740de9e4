namespace Praison.Actors.Messages;

/// <summary>
/// Marker for everything Praison.Actors stores in a journal or sends between nodes. The JSON serializer
/// is bound to this interface, so no CLR type names end up in stored events.
/// </summary>
internal interface IPraisonMessage;
