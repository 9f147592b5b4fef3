{{/*
Names and labels. The templates take the chart's own context (.Values, .Release, .Chart,
.Capabilities), so a parent chart can call them with `(index .Subcharts "openai-proxy")`.
*/}}

{{- define "openai-proxy.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "openai-proxy.fullname" -}}
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

{{- define "openai-proxy.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "openai-proxy.selectorLabels" -}}
app.kubernetes.io/name: {{ include "openai-proxy.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "openai-proxy.labels" -}}
helm.sh/chart: {{ include "openai-proxy.chart" . }}
{{ include "openai-proxy.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: {{ ternary "proxy" "app" (eq .Values.mode "service") }}
{{- end }}

{{/*
The helm test Pod's labels: not the selector labels, so the Service never sends it traffic and the
NetworkPolicy (which would cut its egress to the Service) does not apply to it.
*/}}
{{- define "openai-proxy.testLabels" -}}
app.kubernetes.io/name: {{ include "openai-proxy.name" . }}-test
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: test
{{- end }}

{{- define "openai-proxy.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "openai-proxy.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "openai-proxy.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "openai-proxy.authSecretName" -}}
{{- if .Values.auth.create }}
{{- include "openai-proxy.fullname" . }}
{{- else }}
{{- .Values.auth.existingSecret }}
{{- end }}
{{- end }}

{{/* Where the proxy container finds its files. The config file names client keys by these paths. */}}
{{- define "openai-proxy.authDir" -}}/var/run/secrets/openai-proxy/auth{{- end }}
{{- define "openai-proxy.clientsDir" -}}/var/run/secrets/openai-proxy/clients{{- end }}
{{- define "openai-proxy.configDir" -}}/etc/openai-proxy{{- end }}
{{- define "openai-proxy.identityDir" -}}/var/run/secrets/openai-proxy/identity{{- end }}

{{/* "true" when the upstream credential comes from the Pod's identity (no upstream key), else empty. */}}
{{- define "openai-proxy.keyless" -}}
{{- if .Values.upstream.workloadIdentity.enabled -}}
true
{{- end }}
{{- end }}

{{/* "true" when the proxy needs the auth Secret: for the upstream key, or for the default client's key. */}}
{{- define "openai-proxy.authSecretNeeded" -}}
{{- if or (not (include "openai-proxy.keyless" .)) (and (eq .Values.auth.clientAuth "key") .Values.auth.defaultClient) -}}
true
{{- end }}
{{- end }}

{{/* An install of the injector alone: its sidecars use the Secret each Pod names (or workload identity), none of the release's. */}}
{{- define "openai-proxy.injectorOnly" -}}
{{- if and .Values.injector.enabled (eq .Values.mode "sidecar") (not .Values.sidecar.deployment) -}}
true
{{- end }}
{{- end }}

{{/* The projected token's audience: what OpenAI's guide or AKS workload identity expect unless set. */}}
{{- define "openai-proxy.identityAudience" -}}
{{- $wi := .Values.upstream.workloadIdentity }}
{{- $wi.audience | default (ternary "api://AzureADTokenExchange" "https://api.openai.com/v1" (eq $wi.provider "azure")) }}
{{- end }}

{{/* The proxy's workloadIdentity secret reference (a dict), with a client's own account ids over the shared ones. */}}
{{- define "openai-proxy.workloadIdentityRef" -}}
{{- $wi := .root.Values.upstream.workloadIdentity }}
{{- $own := .own | default dict }}
{{- $ref := dict "provider" $wi.provider "tokenFile" (printf "%s/token" (include "openai-proxy.identityDir" .root)) }}
{{- if eq $wi.provider "azure" }}
{{- $_ := set $ref "tenantId" $wi.tenantId }}
{{- $_ := set $ref "clientId" ($own.clientId | default $wi.clientId) }}
{{- with $wi.authorityHost }}{{ $_ := set $ref "authorityHost" . }}{{ end }}
{{- with $wi.scope }}{{ $_ := set $ref "scope" . }}{{ end }}
{{- else }}
{{- $_ := set $ref "identityProviderId" $wi.identityProviderId }}
{{- $_ := set $ref "serviceAccountId" ($own.serviceAccountId | default $wi.serviceAccountId) }}
{{- with $wi.tokenUrl }}{{ $_ := set $ref "tokenUrl" . }}{{ end }}
{{- end }}
{{- toYaml (dict "workloadIdentity" $ref) }}
{{- end }}

{{/* The proxy's own API token and the cluster CA, where Kubernetes puts them by convention. */}}
{{- define "openai-proxy.kubeApiDir" -}}/var/run/secrets/kubernetes.io/serviceaccount{{- end }}

{{/* "true" when the proxy runs as a native sidecar (restartable init container), else empty. */}}
{{- define "openai-proxy.nativeSidecar" -}}
{{- $native := toString .Values.sidecar.native }}
{{- if and (eq .Values.mode "sidecar") (or (eq $native "true") (and (eq $native "auto") (semverCompare ">=1.29-0" .Capabilities.KubeVersion.Version))) -}}
true
{{- end }}
{{- end }}

{{/*
Guards across values. They live here rather than in values.schema.json because Helm reports a failed schema
rule as a bare "minLength: got 0, want 1"; these say what to set.
*/}}
{{- define "openai-proxy.validate" -}}
{{- include "openai-proxy.validateAuth" . }}
{{- $v := .Values }}
{{- if and (eq $v.mode "sidecar") $v.sidecar.deployment (not $v.sidecar.app.image) }}
{{- fail "sidecar.app.image is not set: give the image of your app, which the proxy runs beside (--set sidecar.app.image=registry.example.com/myapp:1.0.0), or set sidecar.deployment=false to embed the proxy in your own chart" }}
{{- end }}
{{- $names := list }}
{{- range .Values.clients }}
{{- if has .name $names }}
{{- fail (printf "clients: the name %q is used more than once" .name) }}
{{- end }}
{{- $names = append $names .name }}
{{- if and .workloadIdentity (not $.Values.upstream.workloadIdentity.enabled) }}
{{- fail (printf "clients: %q has a workloadIdentity, which needs upstream.workloadIdentity.enabled (the Pod's token it exchanges)" .name) }}
{{- end }}
{{- if not (or .existingSecret .serviceAccounts) }}
{{- fail (printf "clients: %q needs existingSecret (a Secret holding its key) or serviceAccounts (the callers it is)" .name) }}
{{- end }}
{{- if and .serviceAccounts (not $.Values.auth.serviceAccounts.enabled) }}
{{- fail (printf "clients: %q lists serviceAccounts, which need auth.serviceAccounts.enabled: true" .name) }}
{{- end }}
{{- end }}
{{- include "openai-proxy.validateFallbacks" . }}
{{- include "openai-proxy.validateLimits" . }}
{{- include "openai-proxy.validateSecurityContext" . }}
{{- if and .Values.injector.enabled (eq (int .Values.injector.port) (int .Values.injector.adminPort)) }}
{{- fail "injector.port and injector.adminPort must differ: they are the same container's" }}
{{- end }}
{{- end }}

{{/*
The proxy's own UID, and the group that may read its Secret files (0440). A UID that app images run as (root,
node's 1000, distroless' 65532) would let an app process beside the proxy read its keys through /proc.
*/}}
{{- define "openai-proxy.validateSecurityContext" -}}
{{- $uid := .Values.proxy.securityContext.runAsUser }}
{{- if and (not (kindIs "invalid" $uid)) (has (int64 $uid) (list (int64 0) (int64 1000) (int64 65532))) }}
{{- fail (printf "proxy.securityContext.runAsUser: %d is a UID that app images use (0 root, 1000 node, 65532 distroless); give the proxy its own, such as the default 18443" (int64 $uid)) }}
{{- end }}
{{- $ownPods := or (eq .Values.mode "service") .Values.sidecar.deployment .Values.injector.enabled }}
{{- if and $ownPods (not .Values.podSecurityContext.fsGroup) }}
{{- fail "podSecurityContext.fsGroup is not set: the Secret volumes' files are 0440 (root and the fsGroup only), so the proxy reads them through the fsGroup; set it (the default is 18443, the proxy's GID)" }}
{{- end }}
{{- end }}

{{/* Where the keys come from: one Secret holding what the upstream (unless keyless) and the default client need. */}}
{{- define "openai-proxy.validateAuth" -}}
{{- $auth := .Values.auth }}
{{- $keys := $auth.secretKeys }}
{{- $keyless := include "openai-proxy.keyless" . }}
{{- $clientKey := and (eq $auth.clientAuth "key") $auth.defaultClient }}
{{- if and $auth.create $auth.existingSecret }}
{{- fail "auth: set auth.existingSecret or auth.create=true, not both" }}
{{- end }}
{{- if and (include "openai-proxy.authSecretNeeded" .) (not (or $auth.create $auth.existingSecret)) (not (include "openai-proxy.injectorOnly" .)) }}
{{- $holds := ternary (printf "the client key as %s" $keys.proxyApiKey) (printf "the upstream key as %s%s" $keys.openaiApiKey (ternary (printf " and the client key as %s" $keys.proxyApiKey) "" $clientKey)) (not (not $keyless)) }}
{{- $literals := ternary "" (printf " --from-literal=%s=\"$OPENAI_API_KEY\"" $keys.openaiApiKey) (not (not $keyless)) }}
{{- if $clientKey }}{{ $literals = printf "%s --from-literal=%s=\"$(openssl rand -hex 32)\"" $literals $keys.proxyApiKey }}{{ end }}
{{- $values := ternary "auth.proxyApiKey" (ternary "auth.openaiApiKey and auth.proxyApiKey" "auth.openaiApiKey" $clientKey) (not (not $keyless)) }}
{{- fail (printf "auth.existingSecret is not set: create a Secret holding %s (kubectl create secret generic openai-proxy-keys%s) and set auth.existingSecret=openai-proxy-keys; or, only to try the chart out, set auth.create=true with %s" $holds $literals $values) }}
{{- end }}
{{- if $keyless }}
{{- include "openai-proxy.validateKeyless" . }}
{{- else if and $auth.create (not $auth.openaiApiKey) }}
{{- fail "auth.create=true needs auth.openaiApiKey: the upstream (OpenAI) key to put in the Secret" }}
{{- end }}
{{- if and $auth.create $clientKey (not $auth.proxyApiKey) }}
{{- fail "auth.create=true needs auth.proxyApiKey: the key clients send (openssl rand -hex 32), or set auth.defaultClient=false and list clients" }}
{{- end }}
{{- if and (eq $auth.clientAuth "none") (eq .Values.mode "service") }}
{{- fail "auth.clientAuth=none is only for mode=sidecar, where the proxy listens on 127.0.0.1: a shared Service needs client keys (auth.clientAuth=key)" }}
{{- end }}
{{- if and (eq $auth.clientAuth "none") .Values.clients }}
{{- fail "clients: with auth.clientAuth=none there are no client keys; remove clients or set auth.clientAuth=key" }}
{{- end }}
{{- if and (eq .Values.mode "sidecar") $auth.serviceAccounts.enabled }}
{{- fail "auth.serviceAccounts.enabled is for mode=service: a sidecar's only caller is its own Pod (use auth.clientAuth=none)" }}
{{- end }}
{{- if and (eq $auth.clientAuth "key") (not $auth.defaultClient) (not .Values.clients) }}
{{- fail "clients: auth.defaultClient=false leaves no client key; list clients (name, existingSecret) or set auth.defaultClient=true" }}
{{- end }}
{{- end }}

{{/* Keyless upstream: no upstream key in values, a Secret only for the default client's key, the provider's ids. */}}
{{- define "openai-proxy.validateKeyless" -}}
{{- $auth := .Values.auth }}
{{- $wi := .Values.upstream.workloadIdentity }}
{{- if $auth.openaiApiKey }}
{{- fail "auth.openaiApiKey is set, but upstream.workloadIdentity.enabled means no upstream key: remove auth.openaiApiKey" }}
{{- end }}
{{- if and (not (include "openai-proxy.authSecretNeeded" .)) (or $auth.create $auth.existingSecret) }}
{{- fail "auth: with upstream.workloadIdentity.enabled and no default client key, no Secret is needed: remove auth.existingSecret and auth.create" }}
{{- end }}
{{- if and (eq $wi.provider "openai") (not (and $wi.identityProviderId $wi.serviceAccountId)) }}
{{- fail "upstream.workloadIdentity (openai) needs identityProviderId (the Workload Identity Provider, wip_...) and serviceAccountId (the OpenAI service account, svcacct_...)" }}
{{- end }}
{{- if and (eq $wi.provider "azure") (not (and $wi.tenantId $wi.clientId)) }}
{{- fail "upstream.workloadIdentity (azure) needs tenantId (the Entra tenant) and clientId (the application whose federated credential trusts this ServiceAccount)" }}
{{- end }}
{{- end }}

{{/* The proxy's YAML config file (PROXY_CONFIG). Upstream and client keys are file references only. */}}
{{- define "openai-proxy.configYaml" -}}
{{- $config := dict "upstream" (dict "baseUrl" .Values.upstream.baseUrl "authHeader" .Values.upstream.authHeader) }}
{{- with .Values.upstream.name }}{{ $_ := set $config.upstream "name" . }}{{ end }}
{{- if include "openai-proxy.keyless" . }}
{{- $_ := set $config.upstream "apiKey" (include "openai-proxy.workloadIdentityRef" (dict "root" .) | fromYaml) }}
{{- end }}
{{- $_ := mergeOverwrite $config.upstream (include "openai-proxy.fallbacksConfig" . | fromYaml) }}
{{- $clients := list }}
{{- range .Values.clients }}
{{- $dir := printf "%s/%s" (include "openai-proxy.clientsDir" $) .name }}
{{- $client := dict "name" .name }}
{{- if .existingSecret }}{{ $_ := set $client "key" (dict "file" (printf "%s/%s" $dir (default "proxy-api-key" .keyName))) }}{{ end }}
{{- if .serviceAccounts }}{{ $_ := set $client "serviceAccounts" .serviceAccounts }}{{ end }}
{{- if and .upstreamKeyName .existingSecret }}
{{- $_ := set $client "upstreamKey" (dict "file" (printf "%s/%s" $dir .upstreamKeyName)) }}
{{- else if .workloadIdentity }}
{{- $_ := set $client "upstreamKey" (include "openai-proxy.workloadIdentityRef" (dict "root" $ "own" .workloadIdentity) | fromYaml) }}
{{- end }}
{{- if .fallbackKeys }}{{ $_ := set $client "fallbackKeys" (include "openai-proxy.clientFallbackKeys" (dict "root" $ "client" .) | fromYaml) }}{{ end }}
{{- if .headers }}{{ $_ := set $client "headers" .headers }}{{ end }}
{{- if .allowedModels }}{{ $_ := set $client "allowedModels" .allowedModels }}{{ end }}
{{- if .limits }}{{ $_ := set $client "limits" .limits }}{{ end }}
{{- $clients = append $clients $client }}
{{- end }}
{{- if $clients }}{{ $_ := set $config "clients" $clients }}{{ end }}
{{- with .Values.auth.serviceAccounts }}{{ if .enabled }}
{{- $api := include "openai-proxy.kubeApiDir" $ }}
{{- $jwks := dict "url" .jwksUrl "bearerTokenFile" (printf "%s/token" $api) "caFile" (printf "%s/ca.crt" $api) }}
{{- $_ := set $config "kubernetes" (dict "issuer" .issuer "audience" .audience "jwks" $jwks "maxTokenLifetimeSeconds" (.maxTokenLifetimeSeconds | int64)) }}
{{- end }}{{ end }}
{{- if .Values.models }}{{ $_ := set $config "models" .Values.models }}{{ end }}
{{- if .Values.endpoints }}{{ $_ := set $config "endpoints" .Values.endpoints }}{{ end }}
{{- with .Values.usage.streamUsage }}{{ $_ := set $config "usage" (dict "streamUsage" .) }}{{ end }}
{{- with include "openai-proxy.limitsConfig" . | fromYaml }}{{ $_ := set $config "limits" . }}{{ end }}
{{- toYaml $config }}
{{- end }}

{{/* Roll the Pods when the chart's own ConfigMap or Secret changes (mounted key Secrets reload in place). */}}
{{- define "openai-proxy.checksumAnnotations" -}}
checksum/config: {{ include "openai-proxy.configYaml" . | sha256sum }}
{{- if .Values.auth.create }}
checksum/secret: {{ include "openai-proxy.secretData" . | sha256sum }}
{{- end }}
{{- end }}

{{- define "openai-proxy.secretData" -}}
{{- if not (include "openai-proxy.keyless" .) }}
{{ .Values.auth.secretKeys.openaiApiKey }}: {{ .Values.auth.openaiApiKey | b64enc | quote }}
{{- end }}
{{- if and (eq .Values.auth.clientAuth "key") .Values.auth.proxyApiKey }}
{{ .Values.auth.secretKeys.proxyApiKey }}: {{ .Values.auth.proxyApiKey | b64enc | quote }}
{{- end }}
{{- end }}

{{- define "openai-proxy.probe" -}}
httpGet:
  path: {{ .path }}
  port: admin
{{- end }}
