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
# Informer on FunctionAutoscalers (list, then watch); get re-reads one before a scale (deleted or
# edited since the tick read it?).
- apiGroups: [faas-autoscaler.dev]
  resources: [functionautoscalers]
  verbs: [get, list, watch]
# Status (replicas, last decision, conditions) is written through the status subresource only,
# when something in it changed, as a JSON merge patch of the changed fields (status is the
# operator's alone, so the patch carries no resourceVersion).
- apiGroups: [faas-autoscaler.dev]
  resources: [functionautoscalers/status]
  verbs: [patch]
# Events about FunctionAutoscalers (Scaled, DryRun, PolicySwitched, ExternalChange, ...): created,
# and a repeat within 10 minutes patched into the first one's count and lastTimestamp.
- apiGroups: [""]
  resources: [events]
  verbs: [create, patch]
{{- end }}

{{- define "faas-autoscaler.rules.functions" -}}
# Informer on the functions' Deployments: resource requests (CPU/memory as fractions of them),
# ready replicas, and replica changes made by others (the ExternalChange condition).
- apiGroups: [apps]
  resources: [deployments]
  verbs: [list, watch]
# The default actuator: read, then PUT the replica count through the /scale subresource, nothing
# else of the Deployment.
- apiGroups: [apps]
  resources: [deployments/scale]
  verbs: [get, update]
{{- end }}

{{- define "faas-autoscaler.rules.leaderElection" -}}
# One Lease: read, created by the first operator pod, then renewed (and released on shutdown) by PUT.
# With shards, a Lease per shard and per replica: listed to count the replicas running, and a
# member Lease left by a replica gone for ten lease durations is deleted.
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  verbs: [get, create, update{{ if gt (int .Values.leaderElection.shards) 1 }}, list, delete{{ end }}]
{{- end }}

{{/*
Flags of `faas-autoscaler operator`, exactly as operator/src/commands/operator.ts defines them.
test/unit/chart/operator-flags.test.ts parses these args (and the env and files below) with the
operator's own flag parser, so a renamed or removed flag fails there.
Credentials are files from Secret volumes (the flags take files), so the operator needs no RBAC on
Secrets and no credential sits in an environment variable.
*/}}
{{- define "faas-autoscaler.operatorArgs" -}}
{{- $secrets := "/etc/faas-autoscaler/secrets" }}
- --prometheus-a-url={{ .Values.prometheus.a.url }}
{{- include "faas-autoscaler.prometheusAuthArgs" (dict "id" "a" "auth" .Values.prometheus.a.auth) }}
{{- with .Values.prometheus.b }}
{{- if .url }}
- --prometheus-b-url={{ .url }}
{{- include "faas-autoscaler.prometheusAuthArgs" (dict "id" "b" "auth" .auth) }}
{{- end }}
{{- end }}
- --prometheus-timeout-seconds={{ .Values.prometheus.queryTimeoutSeconds }}
{{- /* Give up on shutdown 5 s before the kubelet kills the pod, so the exit is the operator's own. */}}
- --shutdown-timeout-seconds={{ max 1 (sub (int .Values.terminationGracePeriodSeconds) 5) }}
{{- with .Values.gateway }}
{{- if .url }}
- --gateway-url={{ .url }}
{{- if .basicAuth.existingSecret }}
- --gateway-basic-auth-file={{ $secrets }}/gateway/password
{{- end }}
{{- end }}
{{- end }}
{{- if .Values.watchNamespaces }}
- --namespaces={{ join "," (.Values.watchNamespaces | uniq) }}
{{- end }}
{{- if .Values.leaderElection.enabled }}
- --lease-namespace={{ .Release.Namespace }}
- --lease-name={{ include "faas-autoscaler.leaseName" . }}
- --lease-duration-seconds={{ .Values.leaderElection.leaseDurationSeconds }}
- --renew-deadline-seconds={{ .Values.leaderElection.renewDeadlineSeconds }}
- --retry-period-seconds={{ .Values.leaderElection.retryPeriodSeconds }}
- --shards={{ .Values.leaderElection.shards }}
{{- else }}
- --no-leader-elect
{{- end }}
- --api-timeout-seconds={{ .Values.apiTimeoutSeconds }}
- --openfaas-edition={{ .Values.openfaasEdition }}
- --max-replicas={{ .Values.limits.maxReplicas }}
- --max-scale-up-factor={{ .Values.limits.maxScaleUpFactor }}
{{- /* FunctionAutoscalers in the watched namespaces may scale the functions there (RBAC grants the same). */}}
- --function-namespaces={{ join "," (.Values.functionNamespaces | uniq) }}
{{- if eq .Values.model.source "volume" }}
- --model-dirs={{ .Values.model.mountPath }}
{{- end }}
- --listen=0.0.0.0:{{ .Values.metricsPort }}
- --log-level={{ .Values.logLevel }}
{{- range .Values.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end }}

{{/* --prometheus-<id>-*-file for one Prometheus. Args: dict "id" ("a"|"b") "auth" (values). */}}
{{- define "faas-autoscaler.prometheusAuthArgs" -}}
{{- if eq .auth.type "basic" }}
- --prometheus-{{ .id }}-basic-auth-file=/etc/faas-autoscaler/secrets/prometheus-{{ .id }}/basic-auth
{{- else if eq .auth.type "bearer" }}
- --prometheus-{{ .id }}-bearer-token-file=/etc/faas-autoscaler/secrets/prometheus-{{ .id }}/token
{{- end }}
{{- end }}

{{/*
Environment: the pod's name (the operator's identity in the Lease and in Events) and namespace,
and the gateway user (the operator reads OPENFAAS_GATEWAY_USER; the password comes as a file).
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
{{- with .Values.heapLimitMiB }}
- name: NODE_OPTIONS
  value: --max-old-space-size={{ . }}
{{- end }}
{{- with .Values.gateway }}
{{- if and .url .basicAuth.existingSecret }}
- name: OPENFAAS_GATEWAY_USER
  valueFrom:
    secretKeyRef:
      name: {{ .basicAuth.existingSecret }}
      key: {{ .basicAuth.usernameKey }}
{{- end }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The Secrets the operator reads credentials from: list of dict name, secret, key, file. */}}
{{- define "faas-autoscaler.secretFiles" -}}
{{- $files := list }}
{{- range $id := list "a" "b" }}
{{- $server := get $.Values.prometheus $id | default dict }}
{{- if and $server (or (eq $id "a") $server.url) }}
{{- $auth := $server.auth }}
{{- if eq $auth.type "basic" }}
{{- $files = append $files (dict "name" (printf "prometheus-%s" $id) "secret" $auth.existingSecret "key" $auth.basicAuthKey "file" "basic-auth") }}
{{- else if eq $auth.type "bearer" }}
{{- $files = append $files (dict "name" (printf "prometheus-%s" $id) "secret" $auth.existingSecret "key" $auth.tokenKey "file" "token") }}
{{- end }}
{{- end }}
{{- end }}
{{- with .Values.gateway }}
{{- if and .url .basicAuth.existingSecret }}
{{- $files = append $files (dict "name" "gateway" "secret" .basicAuth.existingSecret "key" .basicAuth.passwordKey "file" "password") }}
{{- end }}
{{- end }}
{{- toJson $files }}
{{- end }}

{{/* volumeMounts for the credential files (read-only, one directory per Secret). */}}
{{- define "faas-autoscaler.secretVolumeMounts" -}}
{{- range include "faas-autoscaler.secretFiles" . | fromJsonArray }}
- name: secret-{{ .name }}
  mountPath: /etc/faas-autoscaler/secrets/{{ .name }}
  readOnly: true
{{- end }}
{{- end }}

{{/* volumes for the credential files: only the one key each flag needs, mode 0440 (group = fsGroup). */}}
{{- define "faas-autoscaler.secretVolumes" -}}
{{- range include "faas-autoscaler.secretFiles" . | fromJsonArray }}
- name: secret-{{ .name }}
  secret:
    secretName: {{ .secret }}
    defaultMode: 288
    items:
      - key: {{ .key }}
        path: {{ .file }}
{{- end }}
{{- end }}
