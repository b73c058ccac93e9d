# FleetQuant device agent (`fleetquant-agent run ...`), for devices that run containers and for fleet simulations.
# Build from the repository root:
#   docker build -f deploy/docker/device-agent.Dockerfile -t fleetquant/device-agent .
# Run (the device's id, secret and the server's manifest public key come from provisioning):
#   docker run -v /var/lib/fleetquant-agent:/var/lib/fleetquant-agent -e FLEETQUANT_DEVICE_SECRET=... \
#     fleetquant/device-agent run --device-id cam-0001 --broker mqtt.example.com:1883 \
#     --server-key /var/lib/fleetquant-agent/server-key.pem --state-dir /var/lib/fleetquant-agent/state
# Other architectures: add --platform and publish with -r linux-arm64 (Directory.Build.props defaults to linux-x64).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/DeviceAgent/FleetQuant.DeviceAgent.csproj src/DeviceAgent/
COPY src/Compression/FleetQuant.Compression.csproj src/Compression/
COPY src/Protocol/FleetQuant.Protocol.csproj src/Protocol/
RUN dotnet restore src/DeviceAgent/FleetQuant.DeviceAgent.csproj
COPY src/ src/
RUN dotnet publish src/DeviceAgent/FleetQuant.DeviceAgent.csproj -c Release --no-restore -o /app

FROM mcr.microsoft.com/dotnet/runtime:10.0
WORKDIR /app
COPY --from=build /app ./
# The bundled Fashion-MNIST evaluation subset is the default telemetry input stream.
COPY samples/data /opt/fleetquant/samples/data
ENV FLEETQUANT_SAMPLES=/opt/fleetquant/samples
RUN mkdir -p /var/lib/fleetquant-agent && chown "$APP_UID" /var/lib/fleetquant-agent
USER $APP_UID
VOLUME /var/lib/fleetquant-agent
ENTRYPOINT ["dotnet", "fleetquant-agent.dll"]
