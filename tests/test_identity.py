"""One person behind several addresses (issue 14), by display name."""

from patchdesk.versions.identity import describe_change, name_key, people


def test_a_new_address_under_the_same_name_is_the_same_person():
    found = people([("dmitry.b@linaro.org", "Dmitry Baryshkov"),
                    ("dmitry.b@oss.qualcomm.com", "Dmitry Baryshkov"),
                    ("luca@z3ntu.xyz", "Luca Weiss"), ("luca@lucaweiss.eu", "Luca  WEISS"),
                    ("devnull+george.outlook.com@kernel.org", "George M via B4 Relay"),
                    ("bot@example.org", "kernel test robot"), ("x@example.org", "Dmitry")])
    assert found["dmitry.b@oss.qualcomm.com"] == found["dmitry.b@linaro.org"]
    assert found["luca@z3ntu.xyz"] == found["luca@lucaweiss.eu"]
    assert found["x@example.org"] == "x@example.org"      # one word is not a person
    assert name_key("Jörg Müller") == name_key("Jorg Muller") == "jorg muller"
    assert name_key("kernel test robot") == ""


def test_address_change_reads_as_domains_or_whole_addresses():
    assert describe_change("a@linaro.org", "a@oss.qualcomm.com") == "linaro.org -> oss.qualcomm.com"
    assert describe_change("a@x.org", "b@x.org") == "a@x.org -> b@x.org"
