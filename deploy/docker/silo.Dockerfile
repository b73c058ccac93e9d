# FleetQuant silo (Orleans cluster member; co-hosts a Gateway bridge). Build from the repository root:
#   docker build -f deploy/docker/silo.Dockerfile -t fleetquant/silo .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore first, from the project files only, so source edits do not invalidate the package layer.
COPY Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/Silo/FleetQuant.Silo.csproj src/Silo/
COPY src/Gateway/FleetQuant.Gateway.csproj src/Gateway/
COPY src/Grains/FleetQuant.Grains.csproj src/Grains/
COPY src/Grains.Abstractions/FleetQuant.Grains.Abstractions.csproj src/Grains.Abstractions/
COPY src/Api.Contracts/FleetQuant.Api.Contracts.csproj src/Api.Contracts/
COPY src/Compression/FleetQuant.Compression.csproj src/Compression/
COPY src/Protocol/FleetQuant.Protocol.csproj src/Protocol/
RUN dotnet restore src/Silo/FleetQuant.Silo.csproj
COPY src/ src/
RUN dotnet publish src/Silo/FleetQuant.Silo.csproj -c Release --no-restore -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./
# Listen on every interface (the silo's own default is loopback only); probes use /alive and /health on this port.
ENV ASPNETCORE_URLS=http://+:8080 \
    FleetQuant__DataDirectory=/var/lib/fleetquant
RUN mkdir -p /var/lib/fleetquant && chown "$APP_UID" /var/lib/fleetquant
USER $APP_UID
EXPOSE 8080 11111 30000
ENTRYPOINT ["dotnet", "FleetQuant.Silo.dll"]
