{{/*
Names and labels, in the shape `helm create` generates, so the chart reads like every other one.
*/}}

{{/* Chart name, overridable with nameOverride. */}}
{{- define "faas-autoscaler.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: RELEASE-CHART, or RELEASE when it already contains the chart name. Truncated to 63
characters because some Kubernetes name fields are limited to that (DNS labels).
*/}}
{{- define "faas-autoscaler.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* chart label value: NAME-VERSION with + (not allowed in label values) replaced. */}}
{{- define "faas-autoscaler.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels every object carries. */}}
{{- define "faas-autoscaler.labels" -}}
helm.sh/chart: {{ include "faas-autoscaler.chart" . }}
{{ include "faas-autoscaler.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: faas-autoscaler
{{- end }}

{{/* Labels that select the operator pods; never change them in an upgrade (selectors are immutable). */}}
{{- define "faas-autoscaler.selectorLabels" -}}
app.kubernetes.io/name: {{ include "faas-autoscaler.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{/* ServiceAccount the operator runs as. */}}
{{- define "faas-autoscaler.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "faas-autoscaler.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* image reference: repository@digest when a digest is set, else repository:tag (tag defaults to appVersion). */}}
{{- define "faas-autoscaler.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/* Name of the leader-election Lease (in the release namespace). */}}
{{- define "faas-autoscaler.leaseName" -}}
{{- printf "%s-leader" (include "faas-autoscaler.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
RBAC rules, one helper per scope (see rbac.yaml). Each verb is there because the operator makes
that call; test/integration/chart-rbac.test.ts checks it both ways.
*/}}
{{- define "faas-autoscaler.rules.watch" -}}
# Informer on FunctionAutoscalers: initial list, then watch; get to re-read after a conflict.
- apiGroups: [faas-autoscaler.dev]
  resources: [functionautoscalers]
  verbs: [get, list, watch]
# Status (replicas, last decision, conditions) is written through the status subresource only.
- apiGroups: [faas-autoscaler.dev]
  resources: [functionautoscalers/status]
  verbs: [update]
# Events about FunctionAutoscalers (policy switched, scaled, metrics missing); patch bumps the
# count of a repeated Event instead of creating a new one.
- apiGroups: [""]
  resources: [events]
  verbs: [create, patch]
{{- end }}

{{- define "faas-autoscaler.rules.functions" -}}
# The function's Deployment: resource requests (CPU/memory fractions) and replica changes made by
# others (the ExternalChange condition).
- apiGroups: [apps]
  resources: [deployments]
  verbs: [get, list, watch]
# The default actuator: read and set replicas through the /scale subresource, nothing else of the Deployment.
- apiGroups: [apps]
  resources: [deployments/scale]
  verbs: [get, update, patch]
{{- end }}

{{- define "faas-autoscaler.rules.leaderElection" -}}
# One Lease, created by the first operator pod, then read and renewed.
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  verbs: [get, create, update]
{{- end }}

{{/*
Flags of `faas-autoscaler operator` (defined in operator/src/commands/operator.ts; the chart tests
run the operator with exactly these args, so a renamed flag fails there).
*/}}
{{- define "faas-autoscaler.operatorArgs" -}}
{{- if .Values.watchNamespaces }}
- --namespaces={{ join "," (.Values.watchNamespaces | uniq) }}
{{- end }}
- --prometheus-gateway-url={{ .Values.prometheus.gateway.url }}
- --prometheus-resources-url={{ .Values.prometheus.resources.url }}
- --prometheus-timeout-seconds={{ .Values.prometheus.queryTimeoutSeconds }}
- --gateway-url={{ .Values.gateway.url }}
- --default-policy={{ .Values.defaultPolicy }}
{{- if eq .Values.model.source "volume" }}
- --models-dir={{ .Values.model.mountPath }}
{{- end }}
- --leader-elect={{ .Values.leaderElection.enabled }}
{{- if .Values.leaderElection.enabled }}
- --lease-name={{ include "faas-autoscaler.leaseName" . }}
- --lease-namespace={{ .Release.Namespace }}
- --lease-duration-seconds={{ .Values.leaderElection.leaseDurationSeconds }}
- --lease-renew-seconds={{ .Values.leaderElection.renewPeriodSeconds }}
{{- end }}
- --metrics-port={{ .Values.metricsPort }}
- --log-level={{ .Values.logLevel }}
{{- end }}

{{/* One env var from a Secret key. Args: dict "name" "secret" "key". */}}
{{- define "faas-autoscaler.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .secret }}
      key: {{ .key }}
{{- end }}

{{/*
Credentials reach the operator as environment variables from Secrets, so the operator needs no
RBAC on Secrets at all.
*/}}
{{- define "faas-autoscaler.operatorEnv" -}}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
{{- range $role, $prefix := dict "gateway" "FAAS_AUTOSCALER_PROMETHEUS_GATEWAY" "resources" "FAAS_AUTOSCALER_PROMETHEUS_RESOURCES" }}
{{- $auth := get (get $.Values.prometheus $role) "auth" }}
{{- if eq $auth.type "basic" }}
{{ include "faas-autoscaler.secretEnv" (dict "name" (printf "%s_USERNAME" $prefix) "secret" $auth.existingSecret "key" $auth.usernameKey) }}
{{ include "faas-autoscaler.secretEnv" (dict "name" (printf "%s_PASSWORD" $prefix) "secret" $auth.existingSecret "key" $auth.passwordKey) }}
{{- else if eq $auth.type "bearer" }}
{{ include "faas-autoscaler.secretEnv" (dict "name" (printf "%s_TOKEN" $prefix) "secret" $auth.existingSecret "key" $auth.tokenKey) }}
{{- end }}
{{- end }}
{{- with .Values.gateway.basicAuth }}
{{- if .existingSecret }}
{{ include "faas-autoscaler.secretEnv" (dict "name" "FAAS_AUTOSCALER_GATEWAY_USERNAME" "secret" .existingSecret "key" .usernameKey) }}
{{ include "faas-autoscaler.secretEnv" (dict "name" "FAAS_AUTOSCALER_GATEWAY_PASSWORD" "secret" .existingSecret "key" .passwordKey) }}
{{- end }}
{{- end }}
{{- end }}
