{{/*
Limits shared by every replica: the Redis store (a URL in values, or in a Secret with the ACL user's name and
password; a CA from a Secret), what a store fault does, the prices; and redis.deploy's Redis for trying it out.
*/}}

{{- define "openai-proxy.redisDir" -}}/var/run/secrets/openai-proxy/redis{{- end }}
{{- define "openai-proxy.redisCaDir" -}}/var/run/secrets/openai-proxy/redis-ca{{- end }}

{{- define "openai-proxy.redis.fullname" -}}
{{- printf "%s-redis" (include "openai-proxy.fullname" . | trunc 57 | trimSuffix "-") }}
{{- end }}

{{/* Its own app.kubernetes.io/name, so no selector of the proxy's (Service, PDB, NetworkPolicy) matches its Pod. */}}
{{- define "openai-proxy.redis.selectorLabels" -}}
app.kubernetes.io/name: {{ printf "%s-redis" (include "openai-proxy.name" . | trunc 57 | trimSuffix "-") }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "openai-proxy.redis.labels" -}}
helm.sh/chart: {{ include "openai-proxy.chart" . }}
{{ include "openai-proxy.redis.selectorLabels" . }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: redis
{{- end }}

{{/* "true" when the proxy counts in a Redis store, else empty. */}}
{{- define "openai-proxy.limitsStore" -}}
{{- $redis := .Values.limits.store.redis }}
{{- if or $redis.url $redis.urlKey .Values.redis.deploy -}}
true
{{- end }}
{{- end }}

{{/* The `limits:` section of the config file, or nothing (each replica then counts alone, as without it). */}}
{{- define "openai-proxy.limitsConfig" -}}
{{- $limits := .Values.limits }}
{{- $redis := $limits.store.redis }}
{{- $config := dict }}
{{- if include "openai-proxy.limitsStore" . }}
{{- $dir := include "openai-proxy.redisDir" . }}
{{- $store := dict "keyPrefix" $redis.keyPrefix "timeoutMs" ($redis.timeoutMs | int64) }}
{{- if .Values.redis.deploy }}
{{- $_ := set $store "url" (printf "redis://%s.%s.svc:6379" (include "openai-proxy.redis.fullname" .) .Release.Namespace) }}
{{- else if $redis.urlKey }}
{{- $_ := set $store "url" (dict "file" (printf "%s/%s" $dir $redis.urlKey)) }}
{{- else }}
{{- $_ := set $store "url" $redis.url }}
{{- end }}
{{- with $redis.usernameKey }}{{ $_ := set $store "username" (dict "file" (printf "%s/%s" $dir .)) }}{{ end }}
{{- with $redis.passwordKey }}{{ $_ := set $store "password" (dict "file" (printf "%s/%s" $dir .)) }}{{ end }}
{{- with $redis.caSecret }}{{ $_ := set $store "caFile" (printf "%s/%s" (include "openai-proxy.redisCaDir" $) $redis.caKey) }}{{ end }}
{{- $_ := set $config "store" (dict "redis" $store) }}
{{- $_ := set $config "onStoreError" $limits.onStoreError }}
{{- end }}
{{- with $limits.prices }}{{ $_ := set $config "prices" . }}{{ end }}
{{- if $config }}{{ toYaml $config }}{{ end }}
{{- end }}

{{/* The Secret volumes of the store's credentials and CA: list items. */}}
{{- define "openai-proxy.limitsVolumes" -}}
{{- $redis := .Values.limits.store.redis }}
{{- if $redis.existingSecret }}
- name: openai-proxy-redis
  secret:
    secretName: {{ $redis.existingSecret }}
    # 0440: root and the Pod's fsGroup (the proxy's group) only.
    defaultMode: 288
{{- end }}
{{- if $redis.caSecret }}
- name: openai-proxy-redis-ca
  secret:
    secretName: {{ $redis.caSecret }}
    defaultMode: 288
{{- end }}
{{- end }}

{{/* Their mounts in the proxy container: list items. */}}
{{- define "openai-proxy.limitsVolumeMounts" -}}
{{- $redis := .Values.limits.store.redis }}
{{- if $redis.existingSecret }}
- name: openai-proxy-redis
  mountPath: {{ include "openai-proxy.redisDir" . }}
  readOnly: true
{{- end }}
{{- if $redis.caSecret }}
- name: openai-proxy-redis-ca
  mountPath: {{ include "openai-proxy.redisCaDir" . }}
  readOnly: true
{{- end }}
{{- end }}

{{/* Guards across the store's values, and what the proxy would refuse at start: usd budgets without prices. */}}
{{- define "openai-proxy.validateLimits" -}}
{{- $redis := .Values.limits.store.redis }}
{{- if and $redis.url $redis.urlKey }}
{{- fail "limits.store.redis: set url (a URL without a password) or urlKey (its entry in existingSecret), not both" }}
{{- end }}
{{- range $field := list "urlKey" "usernameKey" "passwordKey" }}
{{- if and (index $redis $field) (not $redis.existingSecret) }}
{{- fail (printf "limits.store.redis.%s names an entry of limits.store.redis.existingSecret, which is not set: give the Secret holding it" $field) }}
{{- end }}
{{- end }}
{{- if and $redis.existingSecret (not (or $redis.usernameKey $redis.passwordKey $redis.urlKey)) }}
{{- fail "limits.store.redis.existingSecret is set but none of urlKey, usernameKey, passwordKey names an entry of it" }}
{{- end }}
{{- if .Values.redis.deploy }}
{{- if or $redis.url $redis.urlKey $redis.existingSecret $redis.caSecret }}
{{- fail "redis.deploy: true runs a Redis of the release's own, without a password or TLS: remove limits.store.redis.url, urlKey, existingSecret and caSecret, or set redis.deploy=false to use that Redis" }}
{{- end }}
{{- else if and (or $redis.existingSecret $redis.caSecret) (not (or $redis.url $redis.urlKey)) }}
{{- fail "limits.store.redis: a Secret is given but no URL: set limits.store.redis.url (redis://host:6379/0), or urlKey (its entry in existingSecret), or redis.deploy=true to try it out" }}
{{- end }}
{{- if and $redis.caSecret $redis.url (not (hasPrefix "rediss://" $redis.url)) }}
{{- fail "limits.store.redis.caSecret is for TLS: the url must start with rediss://" }}
{{- end }}
{{- if not .Values.limits.prices }}
{{- range .Values.clients }}
{{- if and .limits (or (hasKey .limits "usdPerDay") (hasKey .limits "usdPerMonth")) }}
{{- fail (printf "clients: %q has a usd limit, which needs limits.prices (USD per 1M tokens of each model): without prices every request costs 0" .name) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
