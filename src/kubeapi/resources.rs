//! The resource types the local API server serves, with the names the real API uses for them.

/// One served resource type. The set is closed: what `report collect` reads, and what the
/// stand-in cluster needs to show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resource {
    Pods,
    Events,
    Deployments,
    ReplicaSets,
    HorizontalPodAutoscalers,
    PodMetrics,
    NodeMetrics,
}

impl Resource {
    pub const ALL: [Resource; 7] = [
        Resource::Pods,
        Resource::Events,
        Resource::Deployments,
        Resource::ReplicaSets,
        Resource::HorizontalPodAutoscalers,
        Resource::PodMetrics,
        Resource::NodeMetrics,
    ];

    /// API group; empty for the core group.
    pub fn group(self) -> &'static str {
        match self {
            Resource::Pods | Resource::Events => "",
            Resource::Deployments | Resource::ReplicaSets => "apps",
            Resource::HorizontalPodAutoscalers => "autoscaling",
            Resource::PodMetrics | Resource::NodeMetrics => "metrics.k8s.io",
        }
    }

    pub fn version(self) -> &'static str {
        match self {
            Resource::Pods | Resource::Events | Resource::Deployments | Resource::ReplicaSets => {
                "v1"
            }
            Resource::HorizontalPodAutoscalers => "v2",
            Resource::PodMetrics | Resource::NodeMetrics => "v1beta1",
        }
    }

    /// The plural name used in URLs and in RBAC rules.
    pub fn plural(self) -> &'static str {
        match self {
            Resource::Pods | Resource::PodMetrics => "pods",
            Resource::Events => "events",
            Resource::Deployments => "deployments",
            Resource::ReplicaSets => "replicasets",
            Resource::HorizontalPodAutoscalers => "horizontalpodautoscalers",
            Resource::NodeMetrics => "nodes",
        }
    }

    pub fn kind(self) -> &'static str {
        match self {
            Resource::Pods => "Pod",
            Resource::Events => "Event",
            Resource::Deployments => "Deployment",
            Resource::ReplicaSets => "ReplicaSet",
            Resource::HorizontalPodAutoscalers => "HorizontalPodAutoscaler",
            Resource::PodMetrics => "PodMetrics",
            Resource::NodeMetrics => "NodeMetrics",
        }
    }

    /// The singular name kubectl accepts (`kubectl get pod`); metrics-server publishes none.
    pub fn singular(self) -> &'static str {
        match self {
            Resource::Pods => "pod",
            Resource::Events => "event",
            Resource::Deployments => "deployment",
            Resource::ReplicaSets => "replicaset",
            Resource::HorizontalPodAutoscalers => "horizontalpodautoscaler",
            Resource::PodMetrics | Resource::NodeMetrics => "",
        }
    }

    /// The short names the real API server publishes in discovery (`kubectl get hpa`).
    pub fn short_names(self) -> &'static [&'static str] {
        match self {
            Resource::Pods => &["po"],
            Resource::Events => &["ev"],
            Resource::Deployments => &["deploy"],
            Resource::ReplicaSets => &["rs"],
            Resource::HorizontalPodAutoscalers => &["hpa"],
            Resource::PodMetrics | Resource::NodeMetrics => &[],
        }
    }

    /// Discovery categories: `kubectl get all` lists the types in `all` (events are not).
    pub fn categories(self) -> &'static [&'static str] {
        match self {
            Resource::Pods
            | Resource::Deployments
            | Resource::ReplicaSets
            | Resource::HorizontalPodAutoscalers => &["all"],
            Resource::Events | Resource::PodMetrics | Resource::NodeMetrics => &[],
        }
    }

    pub fn api_version(self) -> String {
        match self.group() {
            "" => self.version().to_string(),
            group => format!("{group}/{}", self.version()),
        }
    }

    pub fn namespaced(self) -> bool {
        self != Resource::NodeMetrics
    }

    /// metrics.k8s.io is computed on request by metrics-server: list and get only, no watch.
    pub fn is_metrics(self) -> bool {
        matches!(self, Resource::PodMetrics | Resource::NodeMetrics)
    }

    pub fn verbs(self) -> &'static [&'static str] {
        if self.is_metrics() {
            &["get", "list"]
        } else {
            &["get", "list", "watch"]
        }
    }

    /// The name RBAC and error messages use: `pods`, `horizontalpodautoscalers.autoscaling`.
    pub fn qualified_name(self) -> String {
        match self.group() {
            "" => self.plural().to_string(),
            group => format!("{}.{group}", self.plural()),
        }
    }

    pub fn find(group: &str, version: &str, plural: &str) -> Option<Resource> {
        Self::ALL
            .into_iter()
            .find(|r| r.group() == group && r.version() == version && r.plural() == plural)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_distinguishes_pods_from_pod_metrics_by_group() {
        assert_eq!(Resource::find("", "v1", "pods"), Some(Resource::Pods));
        assert_eq!(
            Resource::find("metrics.k8s.io", "v1beta1", "pods"),
            Some(Resource::PodMetrics)
        );
        assert_eq!(
            Resource::find("autoscaling", "v1", "horizontalpodautoscalers"),
            None
        );
        assert_eq!(
            Resource::HorizontalPodAutoscalers.api_version(),
            "autoscaling/v2"
        );
        assert_eq!(Resource::Events.qualified_name(), "events");
        assert_eq!(Resource::Deployments.qualified_name(), "deployments.apps");
    }
}
