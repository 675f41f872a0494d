package k8s_test

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The operators' custom resources, only as far as the manifests use them,
// written from the operators' documented schemas. Decoded strictly (no
// unknown fields), so a field these manifests use must be declared here,
// against the documentation, before it passes. Where a CR embeds a
// Kubernetes type (a pod template, a claim spec) the real k8s.io/api type
// is used, strict as well.

// strimziKafka is kafka.strimzi.io/v1beta2 Kafka: the Strimzi API
// reference's KafkaSpec, KafkaClusterSpec, GenericKafkaListener and
// EntityOperatorSpec.
type strimziKafka struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              struct {
		Kafka struct {
			Version         string `json:"version,omitempty"`
			MetadataVersion string `json:"metadataVersion,omitempty"`
			Listeners       []struct {
				Name           string `json:"name"`
				Port           int32  `json:"port"`
				Type           string `json:"type"`
				TLS            bool   `json:"tls"`
				Authentication *struct {
					Type string `json:"type"`
				} `json:"authentication,omitempty"`
			} `json:"listeners"`
			// Config is Kafka's own broker configuration, free-form.
			Config map[string]any `json:"config,omitempty"`
		} `json:"kafka"`
		EntityOperator *struct {
			TopicOperator *struct{} `json:"topicOperator,omitempty"`
			UserOperator  *struct{} `json:"userOperator,omitempty"`
		} `json:"entityOperator,omitempty"`
	} `json:"spec"`
}

// strimziNodePool is kafka.strimzi.io/v1beta2 KafkaNodePool: the Strimzi
// API reference's KafkaNodePoolSpec (replicas, roles, storage, resources)
// with JbodStorage of PersistentClaimStorage volumes.
type strimziNodePool struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              struct {
		Replicas int32    `json:"replicas"`
		Roles    []string `json:"roles"`
		Storage  struct {
			Type    string `json:"type"`
			Volumes []struct {
				ID            int    `json:"id"`
				Type          string `json:"type"`
				Size          string `json:"size,omitempty"`
				Class         string `json:"class,omitempty"`
				DeleteClaim   bool   `json:"deleteClaim,omitempty"`
				KraftMetadata string `json:"kraftMetadata,omitempty"`
			} `json:"volumes,omitempty"`
		} `json:"storage"`
		Resources *corev1.ResourceRequirements `json:"resources,omitempty"`
	} `json:"spec"`
}

// clickHouseInstallation is clickhouse.altinity.com/v1
// ClickHouseInstallation, after the operator's
// docs/custom_resource_explained.md and 99-clickhouseinstallation-max.yaml:
// defaults.templates, configuration.users (flat "user/setting" keys) and
// clusters[].layout, templates.podTemplates (a core/v1 PodSpec) and
// templates.volumeClaimTemplates (a core/v1 PersistentVolumeClaimSpec).
type clickHouseInstallation struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              struct {
		Defaults struct {
			Templates struct {
				PodTemplate             string `json:"podTemplate,omitempty"`
				DataVolumeClaimTemplate string `json:"dataVolumeClaimTemplate,omitempty"`
				LogVolumeClaimTemplate  string `json:"logVolumeClaimTemplate,omitempty"`
				ServiceTemplate         string `json:"serviceTemplate,omitempty"`
			} `json:"templates"`
		} `json:"defaults"`
		Configuration struct {
			// Users are "name/setting" keys whose values are strings or
			// lists (networks/ip).
			Users    map[string]any `json:"users,omitempty"`
			Profiles map[string]any `json:"profiles,omitempty"`
			Settings map[string]any `json:"settings,omitempty"`
			Clusters []struct {
				Name   string `json:"name"`
				Layout struct {
					ShardsCount   int `json:"shardsCount,omitempty"`
					ReplicasCount int `json:"replicasCount,omitempty"`
				} `json:"layout"`
			} `json:"clusters"`
		} `json:"configuration"`
		Templates struct {
			PodTemplates []struct {
				Name     string            `json:"name"`
				Metadata metav1.ObjectMeta `json:"metadata,omitempty"`
				Spec     corev1.PodSpec    `json:"spec"`
			} `json:"podTemplates,omitempty"`
			VolumeClaimTemplates []struct {
				Name          string                           `json:"name"`
				ReclaimPolicy string                           `json:"reclaimPolicy,omitempty"`
				Metadata      metav1.ObjectMeta                `json:"metadata,omitempty"`
				Spec          corev1.PersistentVolumeClaimSpec `json:"spec"`
			} `json:"volumeClaimTemplates,omitempty"`
		} `json:"templates"`
	} `json:"spec"`
}
