#pragma once
// StixBundleWriter: one STIX 2.1 bundle (§8) per closed window, written with RapidJSON's
// streaming Writer. A bundle holds, in this order:
//   - the sensor's identity (§4.5, identity_class "system", id from the sensor name),
//   - the Outpost project's identity and the extension-definition (§7.3) of Outpost's
//     sighting-context property extension, both fixed objects shared by every sensor (unless
//     options.embed_extension_definition is off, see there),
//   - per sighting: the sighting (§5.7) with the extension, its observed-data (§4.9) and the
//     SCOs that observed-data refers to (§6, each SCO once per bundle).
// Ids are deterministic: SCOs per STIX 2.1 §2.9 (UUIDv5 over the JCS of the ID-contributing
// properties, STIX namespace), Outpost's objects UUIDv5 in Outpost's namespace over a JCS
// array of what makes them unique, so a re-sent sighting keeps its id.
//
// The device appears only inside the extension, as its keyed pseudonym unless raw_device.

#include <string>
#include <string_view>

#include "agent/report/pseudonym_key.h"
#include "agent/report/report_options.h"
#include "agent/report/sighting.h"

namespace outpost::agent {

class StixBundleWriter {
 public:
  // `key` may be null only when options.raw_device is set; it must outlive the writer.
  // Throws std::invalid_argument otherwise.
  StixBundleWriter(const ReportOptions& options, const PseudonymKey* key);

  // The bundle of one closed window as compact JSON (one line, no trailing newline).
  std::string bundle(const ClosedWindow& window) const;

  // The sensor's identity id: identity--UUIDv5(Outpost ns, ["identity", sensor_name]).
  const std::string& identity_id() const noexcept { return identity_id_; }
  // The device label written for a device (pseudonym or raw address, see device_label()).
  std::string device_label(const rules::Device& device) const;
  // sighting--UUIDv5(Outpost ns, ["sighting", sensor, indicator id, device label, window start])
  std::string sighting_id(const Sighting& s) const;
  // The same name with "observed-data" first.
  std::string observed_data_id(const Sighting& s) const;

  // Fixed ids of the extension-definition and of the Outpost project identity that created it.
  static const std::string& extension_definition_id();
  // The extension-definition and the project identity that created it, as a JSON array of
  // the two objects. Bundles refer to the extension by id; platforms import this once (see
  // ReportOptions::embed_extension_definition for why it is not in every bundle).
  static std::string extension_definition_objects();
  static const std::string& producer_identity_id();

 private:
  std::string object_name(std::string_view type, const Sighting& s) const;

  ReportOptions options_;
  const PseudonymKey* key_;
  std::string sensor_name_;  // well-formed UTF-8
  std::string identity_id_;
};

// The STIX 2.1 deterministic id of an observable (§2.9; ID-contributing properties: `value`
// for domain-name, ipv4-addr, ipv6-addr, url; `hashes` for x509-certificate and file; for
// network-traffic the ones present of src_ref, dst_ref, src_port, dst_port, protocols).
std::string observable_id(const Observable& o);

// The address text of an address observable / network-traffic endpoint.
std::string observable_address(const Observable& o);

}  // namespace outpost::agent
