{{/* Sidecar mode: the user's application container (a list item). It gets the proxy's address and no key
     volume: the key Secret is mounted into the proxy container only. */}}
{{- define "openai-proxy.appContainer" -}}
{{- $app := .Values.sidecar.app }}
{{- $own := list }}
{{- range $app.env }}{{ $own = append $own .name }}{{ end }}
- name: {{ $app.name }}
  image: {{ $app.image | quote }}
  imagePullPolicy: {{ $app.imagePullPolicy }}
  {{- with $app.command }}
  command:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $app.args }}
  args:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- /* The app's own env wins: names it sets are left out of ours. */}}
  {{- $env := list }}
  {{- range (include "openai-proxy.sidecar.appEnv" . | fromYamlArray) }}
  {{- if not (has .name $own) }}{{ $env = append $env . }}{{ end }}
  {{- end }}
  env:
    {{- concat $env $app.env | toYaml | nindent 4 }}
  {{- with $app.ports }}
  ports:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $app.volumeMounts }}
  volumeMounts:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $app.resources }}
  resources:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $app.securityContext }}
  securityContext:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
