#include "agent/report/sighting.h"

namespace outpost::agent {

std::string_view observable_type_name(ObservableType t) noexcept {
  switch (t) {
    case ObservableType::domain_name: return "domain-name";
    case ObservableType::ipv4_addr: return "ipv4-addr";
    case ObservableType::ipv6_addr: return "ipv6-addr";
    case ObservableType::url: return "url";
    case ObservableType::x509_certificate: return "x509-certificate";
    case ObservableType::file: return "file";
    case ObservableType::network_traffic: return "network-traffic";
  }
  return "unknown";
}

std::string_view hash_algorithm_name(HashAlgorithm h) noexcept {
  switch (h) {
    case HashAlgorithm::none: return "";
    case HashAlgorithm::md5: return "MD5";
    case HashAlgorithm::sha1: return "SHA-1";
    case HashAlgorithm::sha256: return "SHA-256";
  }
  return "";
}

}  // namespace outpost::agent
