package domain

// newEvent returns a zero event for a type name, for Decode. A switch keeps
// the catalog a constant of the code rather than a mutable registry.
func newEvent(typ string) Event {
	switch typ {
	case TypeSubscriberProvisioned:
		return &SubscriberProvisioned{}
	case TypeSubscriberCredentialsChanged:
		return &SubscriberCredentialsChanged{}
	case TypeSubscriberRemoved:
		return &SubscriberRemoved{}
	case TypeContactBound:
		return &ContactBound{}
	case TypeContactUnbound:
		return &ContactUnbound{}
	case TypeAuthFailed:
		return &AuthFailed{}
	case TypeSourceBanned:
		return &SourceBanned{}
	case TypeCallStarted:
		return &CallStarted{}
	case TypeLegStarted:
		return &LegStarted{}
	case TypeLegProgress:
		return &LegProgress{}
	case TypeLegAnswered:
		return &LegAnswered{}
	case TypeLegEnded:
		return &LegEnded{}
	case TypeCallAnswered:
		return &CallAnswered{}
	case TypeCallEnded:
		return &CallEnded{}
	case TypeSIPTransaction:
		return &SIPTransaction{}
	}
	return nil
}

// EventTypes lists every type in the catalog, for documentation and tests.
func EventTypes() []string {
	return []string{
		TypeSubscriberProvisioned, TypeSubscriberCredentialsChanged, TypeSubscriberRemoved,
		TypeContactBound, TypeContactUnbound, TypeAuthFailed, TypeSourceBanned,
		TypeCallStarted, TypeLegStarted, TypeLegProgress, TypeLegAnswered, TypeLegEnded,
		TypeCallAnswered, TypeCallEnded, TypeSIPTransaction,
	}
}
