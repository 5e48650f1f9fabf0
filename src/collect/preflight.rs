//! The pre-test checklist: the HPA exists, its target and pod selector are known, RBAC allows
//! each verb the recording needs, the metrics API answers. Fatal problems stop here with what
//! to do; the others become warnings and the recording goes on without that source.

use anyhow::{Result, bail};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::api::{ApiResource, DynamicObject, ListParams, PostParams};
use kube::{Api, Client};
use serde_json::Value;

use super::health::{describe_kube_error, forbidden_message};
use super::metrics::{METRICS_ABSENT, pod_metrics_api};

pub const HPA_RESOURCE: &str = "horizontalpodautoscalers.autoscaling";

/// What is recorded, as found in the cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub hpa_name: String,
    pub hpa_spec: Value,
    /// The scale target's kind and name, e.g. (`Deployment`, `llm-inference`).
    pub scale_target: (String, String),
    /// The pods' label selector; `None` when it could not be read (pods are then not recorded).
    pub pod_selector: Option<String>,
    /// `report sim`'s speed, read from its HPA's annotation.
    pub sim_speed: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Findings {
    pub warnings: Vec<String>,
    pub metrics_absent: bool,
}

pub fn hpa_resource() -> ApiResource {
    ApiResource {
        group: "autoscaling".into(),
        version: "v2".into(),
        api_version: "autoscaling/v2".into(),
        kind: "HorizontalPodAutoscaler".into(),
        plural: "horizontalpodautoscalers".into(),
    }
}

/// The verbs the recording uses: (verb, group, resource, fatal when missing).
const NEEDED: [(&str, &str, &str, bool); 9] = [
    ("get", "autoscaling", "horizontalpodautoscalers", true),
    ("list", "autoscaling", "horizontalpodautoscalers", true),
    ("watch", "autoscaling", "horizontalpodautoscalers", true),
    ("list", "", "events", false),
    ("watch", "", "events", false),
    ("list", "", "pods", false),
    ("watch", "", "pods", false),
    ("get", "apps", "deployments", false),
    ("list", "metrics.k8s.io", "pods", false),
];

pub async fn check(
    client: &Client,
    namespace: &str,
    hpa: Option<&str>,
) -> Result<(Target, Findings)> {
    let mut findings = Findings::default();
    check_permissions(client, namespace, &mut findings).await?;
    let hpa = find_hpa(client, namespace, hpa).await?;
    let hpa_name = hpa.metadata.name.clone().unwrap_or_default();
    let hpa_spec = hpa.data.get("spec").cloned().unwrap_or(Value::Null);
    let scale_target = (
        hpa_spec
            .pointer("/scaleTargetRef/kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        hpa_spec
            .pointer("/scaleTargetRef/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
    );
    let sim_speed = hpa
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(crate::session::manifest::SIM_SPEED_ANNOTATION))
        .and_then(|speed| speed.parse::<f64>().ok())
        .filter(|speed| speed.is_finite() && *speed > 0.0);
    let pod_selector = pod_selector(client, namespace, &scale_target, &mut findings).await;
    check_metrics(client, namespace, &mut findings).await;
    Ok((
        Target {
            hpa_name,
            hpa_spec,
            scale_target,
            pod_selector,
            sim_speed,
        },
        findings,
    ))
}

/// Asks the API server (SelfSubjectAccessReview, as `kubectl auth can-i` does) about each verb.
/// Fails when a verb the HPA needs is missing; other missing verbs become warnings.
async fn check_permissions(
    client: &Client,
    namespace: &str,
    findings: &mut Findings,
) -> Result<()> {
    let mut fatal = Vec::new();
    for (verb, group, resource, required) in NEEDED {
        let qualified = if group.is_empty() {
            resource.to_string()
        } else {
            format!("{resource}.{group}")
        };
        match can_i(client, namespace, verb, group, resource).await {
            Ok(true) => {}
            Ok(false) if required => fatal.push(forbidden_message(verb, &qualified, namespace)),
            Ok(false) => findings
                .warnings
                .push(forbidden_message(verb, &qualified, namespace)),
            Err(e) => {
                findings.warnings.push(format!(
                    "cannot check permissions ({}); any that are missing will show as gaps in collector.jsonl",
                    describe_kube_error(&e, "create", "selfsubjectaccessreviews.authorization.k8s.io", namespace)
                ));
                return Ok(());
            }
        }
    }
    if !fatal.is_empty() {
        bail!("{}", fatal.join("\n"));
    }
    Ok(())
}

async fn can_i(
    client: &Client,
    namespace: &str,
    verb: &str,
    group: &str,
    resource: &str,
) -> kube::Result<bool> {
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                namespace: Some(namespace.to_string()),
                verb: Some(verb.to_string()),
                group: Some(group.to_string()),
                resource: Some(resource.to_string()),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let api: Api<SelfSubjectAccessReview> = Api::all(client.clone());
    let answer = api.create(&PostParams::default(), &review).await?;
    Ok(answer.status.is_some_and(|s| s.allowed))
}

async fn find_hpa(client: &Client, namespace: &str, name: Option<&str>) -> Result<DynamicObject> {
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, &hpa_resource());
    let Some(name) = name else {
        return only_hpa(client, &api, namespace).await;
    };
    match api.get(name).await {
        Ok(hpa) => Ok(hpa),
        Err(kube::Error::Api(status)) if status.code == 404 => {
            let others = hpa_names(&api, namespace).await?;
            if others.is_empty() {
                bail!(
                    "HPA {name:?} not found, and namespace {namespace} has none; {}",
                    elsewhere(client).await
                );
            }
            bail!(
                "HPA {name:?} not found in namespace {namespace}; its HPAs are: {}. Pass one with --hpa",
                others.join(", ")
            );
        }
        Err(e) => bail!(
            "{}; {CHECK_ACCESS}",
            describe_kube_error(&e, "get", HPA_RESOURCE, namespace)
        ),
    }
}

const CREATE_HPA: &str = "create one (kubectl autoscale deployment NAME --cpu-percent=70 --min=1 --max=10) or choose the namespace with -n";
const CHECK_ACCESS: &str =
    "check the context and namespace, and that the cluster answers (kubectl get hpa -n NAMESPACE)";

async fn only_hpa(
    client: &Client,
    api: &Api<DynamicObject>,
    namespace: &str,
) -> Result<DynamicObject> {
    let list = api.list(&ListParams::default()).await.map_err(|e| {
        anyhow::anyhow!(
            "{}; {CHECK_ACCESS}",
            describe_kube_error(&e, "list", HPA_RESOURCE, namespace)
        )
    })?;
    let mut items = list.items;
    match items.len() {
        1 => Ok(items.remove(0)),
        0 => bail!(
            "namespace {namespace} has no HPA; {}",
            elsewhere(client).await
        ),
        _ => {
            let names: Vec<String> = items
                .iter()
                .filter_map(|h| h.metadata.name.clone())
                .collect();
            bail!(
                "namespace {namespace} has several HPAs ({}); choose one with --hpa NAME",
                names.join(", ")
            )
        }
    }
}

/// Where the HPAs are, for a namespace without one (a typo in -n, most often): the namespaces
/// that have one, or how to create one, or why that cannot be known.
async fn elsewhere(client: &Client) -> String {
    let all: Api<DynamicObject> = Api::all_with(client.clone(), &hpa_resource());
    match all.list(&ListParams::default()).await {
        Ok(list) => {
            let mut found: Vec<String> = list
                .items
                .iter()
                .filter_map(|h| {
                    let ns = h.metadata.namespace.as_deref()?;
                    let name = h.metadata.name.as_deref()?;
                    Some(format!("{ns} (HPA {name})"))
                })
                .collect();
            found.sort();
            if found.is_empty() {
                format!("no namespace has one; {CREATE_HPA}")
            } else {
                format!(
                    "namespaces with an HPA: {}. Choose one with -n",
                    found.join(", ")
                )
            }
        }
        Err(e) => format!(
            "other namespaces cannot be searched ({}); {CREATE_HPA}",
            describe_kube_error(&e, "list", HPA_RESOURCE, "(all namespaces)")
                .replace("in namespace (all namespaces)", "in all namespaces")
        ),
    }
}

async fn hpa_names(api: &Api<DynamicObject>, namespace: &str) -> Result<Vec<String>> {
    let list = api
        .list(&ListParams::default())
        .await
        .map_err(|e| anyhow::anyhow!(describe_kube_error(&e, "list", HPA_RESOURCE, namespace)))?;
    Ok(list
        .items
        .into_iter()
        .filter_map(|h| h.metadata.name)
        .collect())
}

async fn pod_selector(
    client: &Client,
    namespace: &str,
    target: &(String, String),
    findings: &mut Findings,
) -> Option<String> {
    let (kind, name) = target;
    if kind != "Deployment" {
        findings.warnings.push(format!(
            "the HPA scales a {kind} ({name}); only a Deployment's pods are recorded, so pods are not"
        ));
        return None;
    }
    let api: Api<Deployment> = Api::namespaced(client.clone(), namespace);
    match api.get(name).await {
        Ok(deployment) => Some(selector_text(&deployment.spec.selector)).filter(|s| !s.is_empty()),
        Err(e) => {
            findings.warnings.push(format!(
                "{}; pods are not recorded",
                describe_kube_error(&e, "get", "deployments.apps", namespace)
            ));
            None
        }
    }
}

/// A LabelSelector in the query syntax: `app=web,tier in (a,b),!legacy`.
pub fn selector_text(selector: &LabelSelector) -> String {
    let mut parts: Vec<String> = selector
        .match_labels
        .iter()
        .flatten()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    for expr in selector.match_expressions.iter().flatten() {
        let values = expr.values.clone().unwrap_or_default().join(",");
        parts.push(match expr.operator.as_str() {
            "In" => format!("{} in ({values})", expr.key),
            "NotIn" => format!("{} notin ({values})", expr.key),
            "Exists" => expr.key.clone(),
            _ => format!("!{}", expr.key),
        });
    }
    parts.join(",")
}

async fn check_metrics(client: &Client, namespace: &str, findings: &mut Findings) {
    match pod_metrics_api(client.clone(), namespace)
        .list(&ListParams::default().limit(1))
        .await
    {
        Ok(_) => {}
        Err(kube::Error::Api(status)) if status.code == 404 => {
            findings.metrics_absent = true;
            findings.warnings.push(METRICS_ABSENT.to_string());
        }
        Err(e) => findings.warnings.push(describe_kube_error(
            &e,
            "list",
            "pods.metrics.k8s.io",
            namespace,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    #[test]
    fn selector_text_covers_labels_and_expressions() {
        let selector = LabelSelector {
            match_labels: Some([("app".to_string(), "web".to_string())].into()),
            match_expressions: Some(vec![
                LabelSelectorRequirement {
                    key: "tier".into(),
                    operator: "In".into(),
                    values: Some(vec!["a".into(), "b".into()]),
                },
                LabelSelectorRequirement {
                    key: "legacy".into(),
                    operator: "DoesNotExist".into(),
                    values: None,
                },
            ]),
        };
        assert_eq!(selector_text(&selector), "app=web,tier in (a,b),!legacy");
    }
}
