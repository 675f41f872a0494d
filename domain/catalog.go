package domain

import (
	"encoding/json"
	"fmt"
)

// decodePayload decodes a payload of a type name into its event value. A
// switch keeps the catalog a constant of the code rather than a mutable
// registry. It returns nil for an unknown type.
func decodePayload(typ string, version int, payload []byte) (Event, error) {
	switch typ {
	case TypeSubscriberProvisioned:
		return decodeAs[SubscriberProvisioned](version, payload)
	case TypeSubscriberCredentialsChanged:
		return decodeAs[SubscriberCredentialsChanged](version, payload)
	case TypeSubscriberRemoved:
		return decodeAs[SubscriberRemoved](version, payload)
	case TypeContactBound:
		return decodeAs[ContactBound](version, payload)
	case TypeContactUnbound:
		return decodeAs[ContactUnbound](version, payload)
	case TypeAuthFailed:
		return decodeAs[AuthFailed](version, payload)
	case TypeSourceBanned:
		return decodeAs[SourceBanned](version, payload)
	case TypeCallStarted:
		return decodeAs[CallStarted](version, payload)
	case TypeLegStarted:
		return decodeAs[LegStarted](version, payload)
	case TypeLegProgress:
		return decodeAs[LegProgress](version, payload)
	case TypeLegAnswered:
		return decodeAs[LegAnswered](version, payload)
	case TypeLegEnded:
		return decodeAs[LegEnded](version, payload)
	case TypeCallAnswered:
		return decodeAs[CallAnswered](version, payload)
	case TypeCallEnded:
		return decodeAs[CallEnded](version, payload)
	case TypeSIPTransaction:
		return decodeAs[SIPTransaction](version, payload)
	case TypeRouteDecided:
		return decodeAs[RouteDecided](version, payload)
	case TypeMediaAnchored:
		return decodeAs[MediaAnchored](version, payload)
	case TypeMediaStats:
		return decodeAs[MediaStats](version, payload)
	case TypeDTMF:
		return decodeAs[DTMF](version, payload)
	case TypeRecording:
		return decodeAs[Recording](version, payload)
	case TypeCarrierDefined:
		return decodeAs[CarrierDefined](version, payload)
	case TypeCarrierRemoved:
		return decodeAs[CarrierRemoved](version, payload)
	case TypeTrunkDefined:
		return decodeAs[TrunkDefined](version, payload)
	case TypeTrunkRemoved:
		return decodeAs[TrunkRemoved](version, payload)
	case TypeTrunkHealthChanged:
		return decodeAs[TrunkHealthChanged](version, payload)
	case TypeTrunkRegistrationChanged:
		return decodeAs[TrunkRegistrationChanged](version, payload)
	case TypeRouteDefined:
		return decodeAs[RouteDefined](version, payload)
	case TypeRouteRemoved:
		return decodeAs[RouteRemoved](version, payload)
	case TypeDIDAssigned:
		return decodeAs[DIDAssigned](version, payload)
	case TypeDIDRemoved:
		return decodeAs[DIDRemoved](version, payload)
	case TypeRateDeckPublished:
		return decodeAs[RateDeckPublished](version, payload)
	case TypeAccountCredited:
		return decodeAs[AccountCredited](version, payload)
	case TypeAccountCharged:
		return decodeAs[AccountCharged](version, payload)
	case TypeAccountReservationRequested:
		return decodeAs[AccountReservationRequested](version, payload)
	case TypeAccountReleased:
		return decodeAs[AccountReleased](version, payload)
	case TypeAuditAnchored:
		return decodeAs[AuditAnchored](version, payload)
	case TypeNodeAlive:
		return decodeAs[NodeAlive](version, payload)
	case TypeAdminChanged:
		return decodeAs[AdminChanged](version, payload)
	case TypeClickToCallRequested:
		return decodeAs[ClickToCallRequested](version, payload)
	case TypeClickToCallStep:
		return decodeAs[ClickToCallStep](version, payload)
	case TypeClickToCallEnded:
		return decodeAs[ClickToCallEnded](version, payload)
	case TypeCampaignDefined:
		return decodeAs[CampaignDefined](version, payload)
	case TypeCampaignLeadsLoaded:
		return decodeAs[CampaignLeadsLoaded](version, payload)
	case TypeCampaignStateChanged:
		return decodeAs[CampaignStateChanged](version, payload)
	case TypeCampaignAgentChanged:
		return decodeAs[CampaignAgentChanged](version, payload)
	case TypeAttemptDecided:
		return decodeAs[AttemptDecided](version, payload)
	case TypeAttemptEnded:
		return decodeAs[AttemptEnded](version, payload)
	case TypeDNCUpdated:
		return decodeAs[DNCUpdated](version, payload)
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownEventType, typ)
}

func decodeAs[T Event](version int, payload []byte) (Event, error) {
	var v T
	if version > v.SchemaVersion() {
		return nil, fmt.Errorf("%w: %s v%d (know v%d)", ErrUnsupportedVersion, v.EventType(), version, v.SchemaVersion())
	}
	if err := json.Unmarshal(payload, &v); err != nil {
		return nil, fmt.Errorf("domain: decode %s: %w", v.EventType(), err)
	}
	return v, nil
}

// EventTypes lists every type in the catalog, for documentation and tests.
func EventTypes() []string {
	return []string{
		TypeSubscriberProvisioned, TypeSubscriberCredentialsChanged, TypeSubscriberRemoved,
		TypeContactBound, TypeContactUnbound, TypeAuthFailed, TypeSourceBanned,
		TypeCallStarted, TypeLegStarted, TypeLegProgress, TypeLegAnswered, TypeLegEnded,
		TypeCallAnswered, TypeCallEnded, TypeSIPTransaction, TypeRouteDecided,
		TypeMediaAnchored, TypeMediaStats, TypeDTMF, TypeRecording,
		TypeCarrierDefined, TypeCarrierRemoved, TypeTrunkDefined, TypeTrunkRemoved,
		TypeTrunkHealthChanged, TypeTrunkRegistrationChanged,
		TypeRouteDefined, TypeRouteRemoved, TypeDIDAssigned, TypeDIDRemoved,
		TypeRateDeckPublished,
		TypeAccountCredited, TypeAccountCharged, TypeAccountReservationRequested, TypeAccountReleased,
		TypeAuditAnchored, TypeNodeAlive, TypeAdminChanged,
		TypeClickToCallRequested, TypeClickToCallStep, TypeClickToCallEnded,
		TypeCampaignDefined, TypeCampaignLeadsLoaded, TypeCampaignStateChanged, TypeCampaignAgentChanged,
		TypeAttemptDecided, TypeAttemptEnded, TypeDNCUpdated,
	}
}
