def test_intake_and_case_page(client_for, case, caseworker):
    response = client_for(caseworker).get(f"/cases/{case.pk}/")
    assert response.status_code == 200
    assert "Élodie" in response.content.decode()
